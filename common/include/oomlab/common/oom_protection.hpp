// A process protected from the OOM killer (oom_score_adj < 0, e.g. -1000 from
// a unit's OOMScoreAdjust or a test VM's harness shell) hands that protection
// to every child it forks. The children that must be killable like any
// process - a scenario's workload, a guard under comparison - drop it.
#pragma once

namespace oomlab {

// A negative value in `path` (the kernel's "-1000\n" format) becomes 0;
// 0 and positive values stay (raising needs no privilege). False when the
// file cannot be read or written. Async-signal-safe: callable between fork
// and exec. `path` is for the tests.
bool drop_inherited_oom_protection(const char* path = "/proc/self/oom_score_adj");

}  // namespace oomlab
