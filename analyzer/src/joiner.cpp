#include "joiner.hpp"

namespace oomlab::analyzer {

namespace {

// Mail clients wrap at 72-78 columns; a cut line plus the next word passes 72.
constexpr std::size_t kWrapColumn = 72;

// Widths at which terminals, serial consoles and fold(1) cut lines hard,
// mid-word: a piece of exactly this length is joined without a blank.
bool hard_cut_width(std::size_t n) { return n == 80 || n == 100 || n == 120 || n == 128 || n == 132 || n == 160; }

std::size_t first_word(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] != ' ' && s[n] != '\t') ++n;
  return n;
}

bool ends_blank(std::string_view raw) { return !raw.empty() && (raw.back() == ' ' || raw.back() == '\t'); }

}  // namespace

bool Joiner::continues(const Line& cur) const {
  if (!has_ || cur.gap || cur.msg.empty() || cur.stamp != Stamp::none || !cur.caller.empty()) return false;
  if (line_.stamp == Stamp::none || text_.size() + cur.msg.size() + 1 > max_line_) return false;
  if (piece_flowed_ || line_.msg.empty()) return true;
  // "[  OK  ] Started ..." and other bracketed lines between kernel lines
  // are lines of their own unless the held line was visibly cut.
  if (cur.msg[0] == '[') return false;
  return piece_len_ + 1 + first_word(cur.msg) > kWrapColumn;
}

void Joiner::absorb(const Line& cur, std::string_view raw) {
  // A flowed line keeps its blank; a word wrap dropped one; a hard cut at a
  // terminal's width split a word.
  if (!piece_flowed_ && (line_.msg.empty() || !hard_cut_width(piece_len_))) text_ += ' ';
  text_.append(cur.msg);
  piece_len_ = raw.size();
  piece_flowed_ = ends_blank(raw);
  dirty_ = true;
  ++joined_;
}

void Joiner::hold(std::string_view raw, const Line& l) {
  text_.assign(raw);
  line_ = l;
  // Re-point the views from `raw` into the copy.
  auto rebase = [&](std::string_view v) {
    if (v.empty()) return std::string_view{};
    return std::string_view(text_.data() + (v.data() - raw.data()), v.size());
  };
  line_.msg = rebase(l.msg);
  line_.caller = rebase(l.caller);
  has_ = true;
  dirty_ = false;
  piece_len_ = raw.size();
  piece_flowed_ = ends_blank(raw);
}

Line Joiner::take(bool probe_host_tag) {
  has_ = false;
  if (!dirty_) return line_;
  Line l = normalize(text_, line_.no, probe_host_tag);
  return l;
}

}  // namespace oomlab::analyzer
