// The VM harness's report.json (oomlab.vm-report/3) through its one codec: a
// report oomlab-vm wrote decodes and re-encodes byte for byte, every section
// survives encode -> decode, wrong types decode as defaults, and a wrong
// schema (the /2 of before) is refused with one line.
#include "oomlab/formats/vm_report.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

using namespace oomlab::formats;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(OOMLAB_SOURCE_DIR) + "/tests/formats/fixtures/" + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

VmReport debian() {
  VmReport r;
  r.name = r.scenario = "memory-high";
  r.scenario_args = {"--limit", "128M"};
  r.started_at = "2026-12-07T01:00:00.000Z";
  r.outcome = "livelock", r.outcome_reason = "no progress for 19.0 s", r.session = "completed";
  r.kernel = {"6.1.0-57-amd64", "linux-image-6.1.0-57-amd64", "/k/vmlinuz"};
  r.machine = {"tcg", "tcg: forced", 512ull << 20, 2, true, false, {"qemu-system-x86_64", "-m", "512M"}};
  r.timing = {31000, 2.5, 95000, 480000, 120000};
  r.end = {"exited", 0, {}, ""};
  RunSummary s;
  s.scenario = "memory-high", s.outcome = "livelock", s.reason = r.outcome_reason, s.exit_code = 1;
  s.teardown = "complete", s.report_json = "/var/tmp/oomlab-work/run/report.json";
  r.guest.exit_code = 1, r.guest.summary = s, r.guest.files = {"guest-report.json", "systemd.json"};
  r.initramfs = {"/c/initramfs.cpio", true, 1234, "", {}};
  r.verdict = {"silent_hang", "no progress for 19.0 s", "guest runner's samples", "the console shows nothing"};
  r.console_verdict.raw = R"({"schema":"oomlab.verdict/1","verdict":"clean","title":"clean","oom_events":[]})";
  r.rootfs = VmRootfs{"debian", "/c/root.img", true, 4ull << 30, "/c/tree", true, {"systemd"}, "dpkg-deb -x x.deb",
                      "/lib/systemd/system/oomlab-watchdog.service", "/etc/oomlab/watchdog.json", false};
  VmSystemd sd;
  sd.guard = "oomlab-watchdog", sd.guard_unit = "oomlab-watchdog.service", sd.guard_config = "tuned";
  sd.guard_settings = "--kill-after 5s";
  VmSystemdState st;
  st.system_state = "running", st.multi_user_target = "active", st.systemd_version = "252";
  st.guard_unit = "oomlab-watchdog.service", st.enable_exit_code = 0, st.enable_ms = 812;
  st.before = {{"ActiveState", "active"}, {"Type", "notify"}};
  st.after = {{"CPUUsageNSec", "1250000"}};
  st.job_exit_code = 1;
  sd.state = st;
  sd.guard_seen = true, sd.guard_ready = true, sd.guard_type = "notify", sd.watchdog_pings_seen = std::nullopt;
  sd.guard_restarts = 0, sd.guard_cpu_ms = 1.25, sd.guard_status = "* oomlab-watchdog.service";
  r.systemd = sd;
  return r;
}

}  // namespace

TEST(VmReportCodec, RoundTripKeepsEverySection) {
  const VmReport r = debian();
  const std::string text = encode_vm_report(r);
  std::string why;
  auto back = decode_vm_report(text, &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(encode_vm_report(*back), text);
  ASSERT_TRUE(back->guest.summary);
  EXPECT_FALSE(back->guest.cmd);
  EXPECT_EQ(back->guest.summary->report_json, "/var/tmp/oomlab-work/run/report.json");
  EXPECT_EQ(back->timing.guest_uptime_at_init_s, 2.5);
  EXPECT_EQ(back->console_verdict.verdict, "clean");
  EXPECT_EQ(back->verdict.note, "the console shows nothing");
  ASSERT_TRUE(back->systemd && back->systemd->state);
  EXPECT_EQ(back->systemd->state->before.at("Type"), "notify");
  EXPECT_EQ(back->systemd->state->enable_ms, 812);
  EXPECT_EQ(back->systemd->guard_cpu_ms, 1.25);
  EXPECT_FALSE(back->systemd->watchdog_pings_seen);
  EXPECT_FALSE(back->systemd->guard_journal_tail);
  EXPECT_EQ(back->rootfs->packages, std::vector<std::string>{"systemd"});
}

// A guest command's result: the busybox guest's memory.events, the Debian
// guest's cmd-result.json kept whole; text that was not JSON stays text.
TEST(VmReportCodec, GuestCommandResultAndUnparsedReport) {
  VmReport r;
  r.name = "cmd", r.guest_cmd = "dd if=/dev/zero of=/dev/null bs=200M count=1";
  auto cmd = decode_vm_guest_cmd(R"({"guest_cmd_exit_code": 0, "memory_events": {"low": 0, "oom_kill": 1},
                                     "memory_peak_bytes": 67108864})");
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->memory_events, (std::vector<std::pair<std::string, std::int64_t>>{{"low", 0}, {"oom_kill", 1}}));
  r.guest.cmd = cmd;
  auto back = decode_vm_report(encode_vm_report(r));
  ASSERT_TRUE(back && back->guest.cmd);
  EXPECT_FALSE(back->guest.summary);
  EXPECT_EQ(back->guest.cmd->memory_peak_bytes, 64ull << 20);
  auto debian_cmd = decode_vm_guest_cmd(R"({"guest_cmd_exit_code": 3, "result": {"restarted": "yes"}})");
  ASSERT_TRUE(debian_cmd);
  EXPECT_EQ(debian_cmd->result, R"({"restarted":"yes"})");
  EXPECT_TRUE(debian_cmd->memory_events.empty());
  r.guest.cmd = debian_cmd;
  back = decode_vm_report(encode_vm_report(r));
  ASSERT_TRUE(back && back->guest.cmd);
  EXPECT_EQ(back->guest.cmd->result, R"({"restarted":"yes"})");
  EXPECT_EQ(back->guest.cmd->exit_code, 3);
  r.guest.cmd.reset(), r.guest.unparsed = "{\"outcome\": \"liv";
  back = decode_vm_report(encode_vm_report(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->guest.unparsed, "{\"outcome\": \"liv");
  EXPECT_FALSE(back->guest.cmd);
  // No report came back at all: guest.report is null.
  r.guest.unparsed.reset();
  EXPECT_EQ(encode_vm_guest_report(r.guest), "null");
}

// A report oomlab-vm wrote (tests/formats/fixtures/README.md): it decodes
// with the guest runner's summary and the console's verdict, and
// re-encoding gives the file back byte for byte.
TEST(VmReportCodec, RealVmReport) {
  const std::string text = fixture("mmap-sem.vm-report.json");
  ASSERT_FALSE(text.empty());
  std::string why;
  auto r = decode_vm_report(text, &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->scenario, "mmap-sem");
  EXPECT_EQ(r->session, "completed");
  ASSERT_TRUE(r->guest.summary);
  EXPECT_EQ(r->guest.summary->schema, kRunSummarySchema);
  EXPECT_EQ(r->outcome, r->guest.summary->outcome);
  EXPECT_FALSE(r->console_verdict.verdict.empty());
  EXPECT_FALSE(r->verdict.cls.empty());
  EXPECT_FALSE(r->kernel.release.empty());
  EXPECT_GT(r->timing.boot_ms, 0);
  EXPECT_FALSE(r->machine.qemu_argv.empty());
  EXPECT_EQ(encode_vm_report(*r), text);
}

TEST(VmReportCodec, WrongTypesDecodeAsDefaults) {
  const char* text = R"({"schema":"oomlab.vm-report/3","name":1,"scenario_args":[1,"a"],
    "machine":{"mem_bytes":-1,"cpus":"2","qemu_argv":"q"},"timing":{"boot_ms":"5","guest_uptime_at_init_s":"1"},
    "end":{"sysrq_sent":[["t"]],"qemu_exit_code":1.5},
    "guest":{"exit_code":"0","report":{"outcome":7,"oom_kills":"3"},"files":{}},
    "verdict":[],"console_verdict":"clean","rootfs":7,
    "systemd":{"guard_ready":"yes","watchdog_pings_seen":1,"guard_cpu_ms":"9","state":{"guard":{"before":{"A":1,"B":"b"}}}}})";
  std::string why;
  auto r = decode_vm_report(text, &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->name, "");
  EXPECT_EQ(r->scenario_args, std::vector<std::string>{"a"});
  EXPECT_EQ(r->machine.mem_bytes, 0u);
  EXPECT_EQ(r->machine.cpus, 0);
  EXPECT_TRUE(r->machine.qemu_argv.empty());
  EXPECT_EQ(r->timing.boot_ms, -1);
  EXPECT_EQ(r->timing.guest_uptime_at_init_s, -1);
  EXPECT_TRUE(r->end.sysrq_sent.empty());
  EXPECT_EQ(r->end.qemu_exit_code, -1);
  EXPECT_FALSE(r->guest.exit_code);
  ASSERT_TRUE(r->guest.summary);  // a scenario's (guest_cmd null)
  EXPECT_EQ(r->guest.summary->outcome, "");
  EXPECT_EQ(r->guest.summary->oom_kills, 0);
  EXPECT_TRUE(r->guest.files.empty());
  EXPECT_EQ(r->verdict.cls, "");
  EXPECT_EQ(r->console_verdict.verdict, "");
  EXPECT_FALSE(r->rootfs);
  ASSERT_TRUE(r->systemd);
  EXPECT_TRUE(r->systemd->guard_seen);
  EXPECT_FALSE(r->systemd->guard_ready);
  EXPECT_FALSE(r->systemd->watchdog_pings_seen);
  EXPECT_FALSE(r->systemd->guard_cpu_ms);
  ASSERT_TRUE(r->systemd->state);
  EXPECT_EQ(r->systemd->state->before, (std::map<std::string, std::string>{{"B", "b"}}));
  EXPECT_TRUE(decode_vm_report(encode_vm_report(*r)));
}

TEST(VmReportCodec, WrongSchemaIsOneLine) {
  std::string why;
  EXPECT_FALSE(decode_vm_report(R"({"schema":"oomlab.vm-report/2","outcome":"completed"})", &why));
  EXPECT_EQ(why, "schema is \"oomlab.vm-report/2\", expected \"oomlab.vm-report/3\"");
  EXPECT_FALSE(decode_vm_report(R"({"outcome":"completed"})", &why));
  EXPECT_EQ(why, "no \"schema\" (expected \"oomlab.vm-report/3\")");
  EXPECT_FALSE(decode_vm_report("outcome: completed\n", &why));
  EXPECT_EQ(why, "not a JSON object");
}
