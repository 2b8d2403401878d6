// Rejoins kernel lines that a mail client, an editor or a terminal wrapped.
// In a log whose lines carry a stamp (dmesg, syslog, journal, kmsg), a line
// that does not start like a log line continues the previous one when that
// one was cut: it ends in a blank (format=flowed), it has nothing after its
// stamp, or the next word would not have fitted on it. One line of
// look-ahead: the Analyzer holds each line here until the next one shows
// whether it continues.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "oomlab/analyzer/normalizer.hpp"

namespace oomlab::analyzer {

class Joiner {
 public:
  explicit Joiner(std::size_t max_line) : max_line_(max_line) {}

  bool has_pending() const { return has_; }
  bool held_empty() const { return line_.msg.empty(); }   // a stamp with nothing after it
  // Does `cur` continue the held line?
  bool continues(const Line& cur) const;
  // Appends `cur`'s text to the held line.
  void absorb(const Line& cur, std::string_view raw);
  // Holds `raw` (normalised as `l`) until the next line arrives.
  void hold(std::string_view raw, const Line& l);
  // The held line, normalised again when something was appended; valid
  // until the next hold(). Counts the physical lines joined into it.
  Line take(bool probe_host_tag);
  std::uint64_t joined() const { return joined_; }

 private:
  std::size_t max_line_;
  std::string text_;
  Line line_;
  bool has_ = false, dirty_ = false;
  std::size_t piece_len_ = 0;   // raw length of the last physical piece
  bool piece_flowed_ = false;   // it ended in a blank
  std::uint64_t joined_ = 0;
};

}  // namespace oomlab::analyzer
