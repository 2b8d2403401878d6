#include "report.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fs_util.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/facts/run_verdict.hpp"
#include "oomlab/facts/stall.hpp"
#include "oomlab/facts/vocabulary.hpp"

namespace oomlab::vm {

formats::VerdictDoc analyze_console(const std::string& bin_dir, const std::string& console, const std::string& name) {
  auto error = [](std::string why) {
    formats::VerdictDoc v;
    v.error = std::move(why);
    return v;
  };
  std::string analyze = bin_dir + "/oomlab-analyze";
  if (!std::filesystem::is_regular_file(analyze)) return error("oomlab-analyze is not built in " + bin_dir);
  ProcessSpec spec({analyze, "--name", name, "-"});
  spec.stdin_data = console;
  spec.timeout = std::chrono::seconds(60);
  ProcessResult r;
  try {
    r = run_process(spec);
  } catch (const std::exception& e) {
    return error(std::string("cannot run oomlab-analyze: ") + e.what());
  }
  // 0 clean, 1 a finding: both print a verdict; 2 is bad input.
  if (r.exit_code == 0 || r.exit_code == 1) {
    if (auto v = formats::decode_verdict(r.out)) return *v;
    return error("oomlab-analyze printed no JSON");
  }
  std::string why = r.timed_out ? "timed out" : r.err.substr(0, r.err.find('\n'));
  return error("oomlab-analyze failed (exit " + std::to_string(r.exit_code) + "): " + why);
}

formats::VmGuest guest_section(const GuestOutput& g, bool scenario) {
  formats::VmGuest out;
  out.exit_code = g.exit_code;
  if (!g.report_complete) return out;
  if (scenario) {
    if (auto s = formats::decode_run_summary(g.report)) out.summary = *s;
  } else if (auto c = formats::decode_vm_guest_cmd(g.report)) {
    out.cmd = *c;
  }
  if (!out.summary && !out.cmd) out.unparsed = g.report;
  return out;
}

namespace {

void row(std::string& h, const std::string& k, const std::string& v) {
  h += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

std::string render_report_html(const formats::VmReport& r, const std::string& serial) {
  const formats::ReportVerdict& one = r.verdict;
  const formats::VerdictDoc& verdict = r.console_verdict;
  std::string title = "oomlab-vm: " + or_dash(r.name);
  std::string h = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                  "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:80em}"
                  "th{text-align:left;padding-right:1em;vertical-align:top}td{font-family:monospace}"
                  "pre{background:#f4f4f4;padding:1em;overflow-x:auto;font-size:85%}"
                  ".verdict{font-size:130%;font-weight:bold}mark{background:#ffe08a}</style></head><body>\n";
  h += "<h1>" + html_escape(title) + "</h1>\n";
  h += "<p class=\"verdict\">outcome: " + html_escape(or_dash(r.outcome)) +
       " &middot; verdict: " + html_escape(!one.cls.empty() ? one.cls : or_dash(verdict.error)) + "</p>\n";
  if (!r.outcome_reason.empty()) h += "<p>" + html_escape(r.outcome_reason) + "</p>\n";
  h += "<p>verdict from the " + html_escape(or_dash(one.from)) + ": " + html_escape(or_dash(one.title)) + "</p>\n";
  if (!one.note.empty()) h += "<p>" + html_escape(one.note) + "</p>\n";
  h += "<table>\n";
  row(h, "started", or_dash(r.started_at));
  row(h, "kernel", or_dash(r.kernel.release) + "  " + or_dash(r.kernel.package));
  row(h, "machine", or_dash(r.machine.accel) + ", " + std::to_string(r.machine.mem_bytes >> 20) + " MiB, " +
                        std::to_string(r.machine.cpus) + " vCPU" + (r.machine.disk ? ", ext4 disk" : ""));
  row(h, "boot", std::to_string(r.timing.boot_ms) + " ms to init");
  row(h, "elapsed", std::to_string(r.timing.elapsed_ms) + " ms");
  std::string sysrq;
  for (const auto& l : r.end.sysrq_sent) sysrq += (sysrq.empty() ? "" : ", ") + l;
  row(h, "end", or_dash(r.end.how) + ", sysrq sent: " + (sysrq.empty() ? "none" : sysrq));
  row(h, "guest exit code", r.guest.exit_code ? std::to_string(*r.guest.exit_code) : "-");
  h += "</table>\n";
  if (!verdict.findings.empty()) {
    h += "<h2>Findings</h2>\n<ul>\n";
    for (const auto& f : verdict.findings)
      h += "<li><b>" + html_escape(or_dash(f.cls)) + "</b>: " + html_escape(or_dash(f.title)) + "</li>\n";
    h += "</ul>\n";
  }
  for (const auto& f : r.guest.files)
    if (f.ends_with(".html"))
      h += "<p>The runner's own page from the guest: <a href=\"" + html_escape(f) + "\">" + html_escape(f) + "</a></p>\n";
  h += "<h2>Guest report</h2>\n<pre>" + html_escape(formats::encode_vm_guest_report(r.guest)) + "</pre>\n";
  // The console's analysis as the analyzer wrote it, indented for reading.
  const std::string doc = formats::encode_verdict(verdict);
  const auto pretty = nlohmann::json::parse(doc, nullptr, false);
  h += "<h2>Serial console verdict (oomlab-analyze)</h2>\n<pre>" +
       html_escape(pretty.is_discarded() ? doc : pretty.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
       "</pre>\n";
  // The serial log, with the lines the kernel's OOM and dump code print marked.
  h += "<h2>Serial console</h2>\n<pre>";
  for (std::string_view rest = serial; !rest.empty();) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    bool hot = line.find("oom-kill") != std::string_view::npos || line.find("Out of memory") != std::string_view::npos ||
               line.find("invoked oom-killer") != std::string_view::npos || line.find("sysrq:") != std::string_view::npos ||
               line.find("OOMLAB-VM:") != std::string_view::npos || line.find("MemAlloc") != std::string_view::npos;
    h += hot ? "<mark>" + html_escape(line) + "</mark>\n" : html_escape(line) + "\n";
  }
  h += "</pre>\n</body></html>\n";
  return h;
}

RunStory run_story(const std::string& session, const std::optional<formats::RunSummary>& guest_summary,
                   const std::optional<formats::VerdictDoc>& console, const std::optional<formats::Report>& guest_report) {
  RunStory st;
  st.outcome = session;
  if (console && console->error.empty()) st.verdict = console->verdict, st.verdict_title = console->title;
  st.verdict_from = "serial console";
  std::optional<facts::Outcome> o;
  bool victim_stuck = false;
  if (guest_report) {
    o = facts::outcome_from_name(guest_report->outcome.cls);
    st.reason = guest_report->outcome.reason;
    victim_stuck = guest_report->outcome.stall &&
                   guest_report->outcome.stall->cause == facts::stall_cause_name(facts::StallCause::victim_not_exiting);
  }
  if (!o && guest_summary) {
    o = facts::outcome_from_name(guest_summary->outcome);
    st.reason = o ? guest_summary->reason : "";
  }
  if (!o) {
    st.reason.clear();
    return st;
  }
  st.outcome = std::string(facts::outcome_name(*o));
  // The one rule both the runner and the VM use (facts::run_verdict): the
  // console's verdict when it says the class the outcome calls for, else the
  // guest run's own (its kernel log with the watchdog's JSON lines), else the
  // outcome's class from the guest runner's samples with a note.
  std::vector<facts::LogVerdict> logs{{"serial console", st.verdict, st.verdict_title,
                                       !console ? "no verdict" : console->error}};
  if (guest_report && guest_report->log_verdict)
    logs.push_back({"guest run's kernel log", guest_report->log_verdict->verdict, guest_report->log_verdict->title, ""});
  const facts::RunVerdict v = facts::run_verdict(*o, victim_stuck, st.reason, logs, "guest runner's samples");
  st.verdict = v.cls, st.verdict_title = v.title, st.verdict_from = v.from, st.verdict_note = v.note;
  return st;
}

std::optional<formats::Report> guest_runner_report(const std::map<std::string, std::string>& files) {
  for (const auto& [name, body] : files)
    if (name.rfind("guest-", 0) == 0 && name.ends_with(".json"))
      if (auto r = formats::decode_report(body)) return r;
  return std::nullopt;
}

}  // namespace oomlab::vm
