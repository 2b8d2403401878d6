#include "report.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fs_util.hpp"
#include "oomlab/common/subprocess.hpp"
#include "oomlab/facts/run_verdict.hpp"
#include "oomlab/facts/stall.hpp"
#include "oomlab/facts/vocabulary.hpp"

namespace oomlab::vm {

nlohmann::json analyze_console(const std::string& bin_dir, const std::string& console, const std::string& name) {
  std::string analyze = bin_dir + "/oomlab-analyze";
  if (!std::filesystem::is_regular_file(analyze)) return {{"error", "oomlab-analyze is not built in " + bin_dir}};
  ProcessSpec spec({analyze, "--name", name, "-"});
  spec.stdin_data = console;
  spec.timeout = std::chrono::seconds(60);
  ProcessResult r;
  try {
    r = run_process(spec);
  } catch (const std::exception& e) {
    return {{"error", std::string("cannot run oomlab-analyze: ") + e.what()}};
  }
  // 0 clean, 1 a finding: both print a verdict; 2 is bad input.
  if (r.exit_code == 0 || r.exit_code == 1) {
    auto verdict = nlohmann::json::parse(r.out, nullptr, false);
    if (!verdict.is_discarded()) return verdict;
    return {{"error", "oomlab-analyze printed no JSON"}};
  }
  std::string why = r.timed_out ? "timed out" : r.err.substr(0, r.err.find('\n'));
  return {{"error", "oomlab-analyze failed (exit " + std::to_string(r.exit_code) + "): " + why}};
}

namespace {

std::string text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "-";
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void row(std::string& h, const std::string& k, const std::string& v) {
  h += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
}

}  // namespace

std::string render_report_html(const nlohmann::json& r, const std::string& serial) {
  // r is the document main.cpp just built (the one verdict in `verdict`,
  // the serial console's analysis in `console_verdict`).
  const auto& one = r.value("verdict", nlohmann::json::object());
  const auto& verdict = r.value("console_verdict", nlohmann::json::object());
  std::string title = "oomlab-vm: " + text(r.value("name", nlohmann::json()));
  std::string h = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                  "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:80em}"
                  "th{text-align:left;padding-right:1em;vertical-align:top}td{font-family:monospace}"
                  "pre{background:#f4f4f4;padding:1em;overflow-x:auto;font-size:85%}"
                  ".verdict{font-size:130%;font-weight:bold}mark{background:#ffe08a}</style></head><body>\n";
  h += "<h1>" + html_escape(title) + "</h1>\n";
  h += "<p class=\"verdict\">outcome: " + html_escape(text(r.value("outcome", nlohmann::json()))) +
       " &middot; verdict: " + html_escape(text(one.value("class", nlohmann::json(verdict.value("error", "-"))))) + "</p>\n";
  if (r.contains("outcome_reason") && r["outcome_reason"].is_string() && !r["outcome_reason"].get<std::string>().empty())
    h += "<p>" + html_escape(r["outcome_reason"].get<std::string>()) + "</p>\n";
  h += "<p>verdict from the " + html_escape(text(one.value("from", nlohmann::json()))) + ": " +
       html_escape(text(one.value("title", nlohmann::json()))) + "</p>\n";
  if (one.contains("note") && one["note"].is_string()) h += "<p>" + html_escape(one["note"].get<std::string>()) + "</p>\n";
  h += "<table>\n";
  row(h, "started", text(r.value("started_at", nlohmann::json())));
  row(h, "kernel", text(r["kernel"].value("release", nlohmann::json())) + "  " + text(r["kernel"].value("package", nlohmann::json())));
  row(h, "machine", text(r["machine"].value("accel", nlohmann::json())) + ", " +
                        std::to_string(r["machine"].value("mem_bytes", 0ull) >> 20) + " MiB, " +
                        std::to_string(r["machine"].value("cpus", 0)) + " vCPU" +
                        (r["machine"].value("disk", false) ? ", ext4 disk" : ""));
  row(h, "boot", std::to_string(r["timing"].value("boot_ms", -1)) + " ms to init");
  row(h, "elapsed", std::to_string(r["timing"].value("elapsed_ms", 0)) + " ms");
  row(h, "end", text(r["end"].value("how", nlohmann::json())) + ", sysrq sent: " + text(r["end"].value("sysrq_sent", nlohmann::json())));
  row(h, "guest exit code", text(r["guest"].value("exit_code", nlohmann::json())));
  h += "</table>\n";
  if (verdict.contains("findings") && verdict["findings"].is_array() && !verdict["findings"].empty()) {
    h += "<h2>Findings</h2>\n<ul>\n";
    for (const auto& f : verdict["findings"])
      h += "<li><b>" + html_escape(text(f.value("class", nlohmann::json()))) + "</b>: " +
           html_escape(text(f.value("title", nlohmann::json()))) + "</li>\n";
    h += "</ul>\n";
  }
  for (const auto& f : r["guest"].value("files", nlohmann::json::array()))
    if (f.is_string() && f.get<std::string>().ends_with(".html"))
      h += "<p>The runner's own page from the guest: <a href=\"" + html_escape(f.get<std::string>()) + "\">" +
           html_escape(f.get<std::string>()) + "</a></p>\n";
  h += "<h2>Guest report</h2>\n<pre>" + html_escape(r["guest"].value("report", nlohmann::json()).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "</pre>\n";
  h += "<h2>Serial console verdict (oomlab-analyze)</h2>\n<pre>" + html_escape(verdict.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "</pre>\n";
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

RunStory run_story(const std::string& session, const nlohmann::json& guest_summary,
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
  if (!o && guest_summary.is_object()) {
    const auto cls = guest_summary.find("outcome");
    if (cls != guest_summary.end() && cls->is_string()) o = facts::outcome_from_name(cls->get<std::string>());
    st.reason = o ? guest_summary.value("reason", "") : "";
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
