// libproc2.a's readproc.o calls seven sd-login functions, and only to fill the
// PIDS_SD_* items (systemd unit, slice, session, seat, machine, owner uid).
// The watchdog never asks for those (policy.cpp: stat, status and
// oom_score_adj items), so linking libproc2 statically does not need
// libsystemd and with it libgcrypt, libgpg-error, liblzma, libzstd, liblz4 and
// libcap: ~820 kB that the mlocked daemon kept resident for nothing
// (bench/watchdog/RESULTS.md). Should an SD item ever be asked for, these
// answer what sd-login answers for a process without that attribute
// (-ENODATA), and libproc2 reports the item as "-".
#include <errno.h>
#include <sys/types.h>

int sd_pid_get_session(pid_t pid, char** session);
int sd_pid_get_owner_uid(pid_t pid, uid_t* uid);
int sd_pid_get_unit(pid_t pid, char** unit);
int sd_pid_get_user_unit(pid_t pid, char** unit);
int sd_pid_get_slice(pid_t pid, char** slice);
int sd_pid_get_machine_name(pid_t pid, char** machine);
int sd_session_get_seat(const char* session, char** seat);

int sd_pid_get_session(pid_t pid, char** session) { (void)pid; (void)session; return -ENODATA; }
int sd_pid_get_owner_uid(pid_t pid, uid_t* uid) { (void)pid; (void)uid; return -ENODATA; }
int sd_pid_get_unit(pid_t pid, char** unit) { (void)pid; (void)unit; return -ENODATA; }
int sd_pid_get_user_unit(pid_t pid, char** unit) { (void)pid; (void)unit; return -ENODATA; }
int sd_pid_get_slice(pid_t pid, char** slice) { (void)pid; (void)slice; return -ENODATA; }
int sd_pid_get_machine_name(pid_t pid, char** machine) { (void)pid; (void)machine; return -ENODATA; }
int sd_session_get_seat(const char* session, char** seat) { (void)session; (void)seat; return -ENODATA; }
