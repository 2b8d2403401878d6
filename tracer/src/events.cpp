#include "oomlab/tracer/events.hpp"

namespace oomlab::tracer {

const char* to_string(ReclaimKind k) { return k == ReclaimKind::Memcg ? "memcg" : "direct"; }

const char* to_string(OomStage s) {
  switch (s) {
    case OomStage::MarkVictim: return "mark_victim";
    case OomStage::WakeReaper: return "wake_reaper";
    case OomStage::StartReaping: return "start_task_reaping";
    case OomStage::FinishReaping: return "finish_task_reaping";
    case OomStage::SkipReaping: return "skip_task_reaping";
    case OomStage::Exited: return "exit";
  }
  return "?";
}

bool VictimTimeline::apply(const OomEvent& e) {
  if (e.victim.tid != victim.tid) return false;
  if (victim.comm.empty() && !e.victim.comm.empty()) victim.comm = e.victim.comm;
  if (victim.tgid == 0) victim.tgid = e.victim.tgid;
  switch (e.stage) {
    case OomStage::MarkVictim: marked_ns = e.ts_ns; break;
    case OomStage::WakeReaper: reaper_woken_ns = e.ts_ns; break;
    case OomStage::StartReaping: reap_start_ns = e.ts_ns; break;
    case OomStage::FinishReaping: reaped_ns = e.ts_ns; break;
    case OomStage::SkipReaping: skipped_ns = e.ts_ns; break;
    case OomStage::Exited: exited_ns = e.ts_ns; break;
  }
  return true;
}

}  // namespace oomlab::tracer
