#include "oomlab/analyzer/analyzer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "oomlab/analyzer/line_reader.hpp"
#include "oomlab/analyzer/normalizer.hpp"
#include "oomlab/common/text.hpp"
#include "oomlab/facts/kernel_lines.hpp"
#include "joiner.hpp"
#include "state.hpp"

namespace oomlab::analyzer {

namespace {

// Recognisers indexed by the first byte of their needle, so that a noise
// line costs one table lookup plus a few substring searches.
struct Dispatch {
  // An after-comm needle has a space at `space` ("COMM invoked oom-killer:"
  // -> 0, "COMM: page allocation" -> 1): it can only match at one of the
  // first spaces of the line, so no line is searched end to end.
  struct Scan {
    const Pattern* p;
    std::size_t space;
  };
  std::vector<const Pattern*> by_first[256];
  std::vector<Scan> after_comm;
  Dispatch() {
    for (auto family : {oom_patterns(), memalloc_patterns(), oomlab_line_patterns(), guard_line_patterns(), taskdump_patterns(),
                        failure_patterns()}) {
      for (const Pattern& p : family) {
        if (p.anchor == Pattern::Anchor::start) by_first[static_cast<unsigned char>(p.needle[0])].push_back(&p);
        else after_comm.push_back({&p, p.needle.find(' ')});
      }
    }
  }
};

// Comms hold a few words at most ("Isolated Web Co"): look at the first spaces.
constexpr int kCommSpaces = 4;

// Whether one of the 8 bytes at p is 'i' or 'p' (SWAR zero-byte test).
bool has_i_or_p(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  auto zero = [](std::uint64_t v) { return (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL; };
  return (zero(w ^ 0x6969696969696969ULL) | zero(w ^ 0x7070707070707070ULL)) != 0;
}

const Pattern* match_after_comm(const Dispatch& d, std::string_view msg) {
  // The needle's first word ("invoked", "page") starts with 'i' or 'p' in
  // bytes 2..17: most lines have neither there and are done in two words.
  static_assert(Pattern::kCommWindow + 2 == 18);
  if (msg.size() >= 18 && !has_i_or_p(msg.data() + 2) && !has_i_or_p(msg.data() + 10)) return nullptr;
  const std::size_t window = std::min(msg.size(), Pattern::kCommWindow + 1);
  int spaces = 0;
  for (std::size_t i = 1; i < window && spaces < kCommSpaces; ++i) {
    if (msg[i] != ' ') continue;
    ++spaces;
    if (i + 1 >= msg.size() || (msg[i + 1] != 'i' && msg[i + 1] != 'p')) continue;   // "invoked", "page"
    for (const auto& scan : d.after_comm) {
      const std::string_view n = scan.p->needle;
      const std::size_t start = i - scan.space;
      if (i >= scan.space && start + n.size() <= msg.size() && std::memcmp(msg.data() + start, n.data(), n.size()) == 0)
        return scan.p;
    }
  }
  return nullptr;
}

const Dispatch& dispatch() {
  static const Dispatch d;
  return d;
}

// Does msg begin the way a kernel message of a known kind does? Such a line
// is a line of its own even without a stamp, never the tail of a wrapped one.
bool starts_like_message(std::string_view msg) {
  const Dispatch& d = dispatch();
  for (const Pattern* p : d.by_first[static_cast<unsigned char>(msg[0])])
    if (msg.size() >= p->needle.size() && std::memcmp(msg.data(), p->needle.data(), p->needle.size()) == 0) return true;
  return match_after_comm(d, msg) != nullptr || looks_like_task_header(msg);
}

}  // namespace

Analyzer::Analyzer(Options opt)
    : st_(std::make_unique<State>(std::move(opt))), join_(std::make_unique<Joiner>(st_->opt.limits.max_line)) {
  st_->report.input.cgroup = st_->opt.cgroup;
}
Analyzer::~Analyzer() = default;

void Analyzer::feed(std::string_view raw) {
  ++line_no_;
  State& s = *st_;
  if (raw.size() > s.opt.limits.max_line) {   // callers that bypass LineReader
    raw = raw.substr(0, s.opt.limits.max_line);
    ++s.report.input.truncated_lines;
  }
  // journalctl short-monotonic ("[ 1.2] host kernel: msg") is a property of
  // the whole log: probe the first stamped lines, then only if it was seen.
  const bool probe = host_tag_seen_ || stamp_counts_[static_cast<int>(Stamp::dmesg)] < 256;
  const Line l = normalize(raw, line_no_, probe);
  if (join_->has_pending()) {
    if (join_->continues(l) && (join_->held_empty() || !starts_like_message(l.msg))) {
      join_->absorb(l, raw);
      return;
    }
    process(join_->take(probe));
  }
  join_->hold(raw, l);
}

void Analyzer::process(const Line& l) {
  State& s = *st_;
  host_tag_seen_ = host_tag_seen_ || (l.host_tag && l.stamp == Stamp::dmesg);
  ++stamp_counts_[static_cast<int>(l.stamp)];
  if (l.gap) {   // "(...snipped...)": whatever was being collected is cut here
    ++s.report.input.gaps;
    s.end_all_traces();
    return;
  }
  if (l.msg.empty()) return;
  if (l.ts && (!s.last_ts || *l.ts > *s.last_ts)) s.last_ts = l.ts;
  if (l.msg[0] == 'p' && l.msg.substr(0, 8) == "printk: ") {
    if (auto sup = facts::parse_ratelimit_suppressed(l.msg)) {
      auto& list = s.report.input.suppressed;
      auto it = std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.first == sup->who; });
      if (it != list.end()) it->second += sup->lines;
      else if (list.size() < 16) list.emplace_back(sup->who, sup->lines);
      return;
    }
  }
  if (s.nmi_report_until >= line_no_ && !l.caller.empty() && l.caller[0] == 'C') s.adopt_nmi_backtrace(l);
  if (try_frame(s, l)) return;
  const Dispatch& d = dispatch();
  for (const Pattern* p : d.by_first[static_cast<unsigned char>(l.msg[0])])
    if (l.msg.size() >= p->needle.size() && l.msg[1] == p->needle[1] &&
        std::memcmp(l.msg.data(), p->needle.data(), p->needle.size()) == 0 && p->handle(s, l))
      return;
  if (const Pattern* p = match_after_comm(d, l.msg); p && p->handle(s, l)) return;
  if (try_task_table_row(s, l)) return;
  if (try_task_header(s, l)) return;
  if (try_report_line(s, l)) return;
  TraceCtx& c = s.ctx(l.caller);
  if (c.in_trace && !is_trace_noise(l.msg)) c.in_trace = false;
}

void Analyzer::note_watchdog_log(std::string name, std::optional<double> last_ts) {
  st_->report.input.watchdog_log = std::move(name);
  if (last_ts && (!st_->last_ts || *last_ts > *st_->last_ts)) st_->last_ts = last_ts;
}

void Analyzer::note_input(std::uint64_t bytes, std::uint64_t truncated, std::uint64_t nuls) {
  auto& in = st_->report.input;
  in.bytes += bytes;
  in.truncated_lines += truncated;
  in.nul_bytes += nuls;
}

Report Analyzer::finish(std::string input_name) {
  State& s = *st_;
  if (join_->has_pending()) process(join_->take(host_tag_seen_));
  auto& in = s.report.input;
  in.name = std::move(input_name);
  in.joined_lines = join_->joined();
  in.lines = line_no_;
  int best = 0;
  std::uint64_t stamped = 0;
  for (int i = 1; i < 6; ++i) {
    stamped += stamp_counts_[i];
    if (stamp_counts_[i] > stamp_counts_[best] || best == 0) best = stamp_counts_[i] ? i : best;
  }
  in.kernel_lines = stamped;
  in.format = to_string(stamped ? static_cast<Stamp>(best) : Stamp::none);
  build_verdict(s);
  return std::move(s.report);
}

Report analyze_fd(int fd, std::string name, const Options& opt) {
  Analyzer a(opt);
  LineReader reader(fd, opt.limits.max_line);
  while (auto line = reader.next()) a.feed(*line);
  a.note_input(reader.bytes(), reader.truncated_lines(), reader.nul_bytes());
  return a.finish(std::move(name));
}

Report analyze_file(const std::string& path, const Options& opt) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + ": is a directory");
  }
  try {
    Report r = analyze_fd(fd, path, opt);
    ::close(fd);
    return r;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

Report analyze_text(std::string_view text, std::string name, const Options& opt) {
  Analyzer a(opt);
  const std::uint64_t bytes = text.size();
  std::uint64_t nuls = 0;
  std::string line;
  for_each_line(text, [&](std::string_view raw) {
    line.assign(raw);
    while (!line.empty() && line.back() == '\r') line.pop_back();
    for (char& c : line)
      if (c == '\0') {
        c = ' ';
        ++nuls;
      }
    a.feed(line);
  });
  a.note_input(bytes, 0, nuls);
  return a.finish(std::move(name));
}

}  // namespace oomlab::analyzer
