// The OOM killer's task table (dump_tasks() in mm/oom_kill.c). Its columns
// changed over the years, so the header line is parsed and rows are read by
// column name:
//   2.6.3x: [ pid ]   uid  tgid total_vm      rss cpu oom_adj oom_score_adj name
//   3.x:    [ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name
//   4.1+:   [ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name
//   4.15+:  [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
//   6.8+:   [  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name
// Rows: "[  467]     0   467    14047     1815      28       3        0             0 systemd-journal".
#include "../state.hpp"
#include "../text.hpp"

namespace oomlab::analyzer {

namespace {

bool table_header(State& st, const Line& l) {
  std::size_t close = l.msg.find(']');
  if (close == std::string_view::npos || text::trim(l.msg.substr(1, close - 1)) != "pid") return false;
  OomEvent* e = st.oom_for(l, OomPhase::table);
  if (!e) return true;
  e->table_columns.clear();
  e->table.clear();
  e->table_columns.emplace_back("pid");
  std::string_view rest = l.msg.substr(close + 1);
  for (std::size_t i = 0; i < rest.size();) {
    while (i < rest.size() && text::is_space(rest[i])) ++i;
    std::string_view tok = text::token_at(rest, i);
    if (tok.empty()) break;
    e->table_columns.emplace_back(tok);
    i += tok.size();
  }
  st.table_active = true;
  return true;
}

void set_column(TaskTableRow& r, std::string_view col, std::string_view v) {
  auto u = [&] { return text::parse_uint(v); };
  auto i = [&] { return text::to_int(text::parse_int(v)); };
  if (col == "uid") r.uid = i();
  else if (col == "tgid") r.tgid = i();
  else if (col == "total_vm") r.total_vm = u();
  else if (col == "rss") r.rss = u();
  else if (col == "rss_anon") r.rss_anon = u();
  else if (col == "rss_file") r.rss_file = u();
  else if (col == "rss_shmem") r.rss_shmem = u();
  else if (col == "nr_ptes") r.nr_ptes = u();
  else if (col == "nr_pmds") r.nr_pmds = u();
  else if (col == "pgtables_bytes") r.pgtables_bytes = u();
  else if (col == "swapents") r.swapents = u();
  else if (col == "oom_score_adj") r.oom_score_adj = i();
}

}  // namespace

bool try_task_table_row(State& st, const Line& l) {
  std::string_view m = l.msg;
  if (m.size() < 4 || m[0] != '[') return false;
  if (text::starts_with(m, "[ pid ]") || text::starts_with(m, "[  pid  ]")) return table_header(st, l);
  if (!st.table_active) return false;
  OomEvent* e = st.open_oom();
  if (!e || e->table_columns.size() < 3) return false;
  std::size_t close = m.find(']');
  if (close == std::string_view::npos) return false;
  auto pid = text::parse_uint(text::trim(m.substr(1, close - 1)));
  if (!pid || *pid > 0x7fffffff) return false;
  TaskTableRow row;
  row.pid = static_cast<int>(*pid);
  std::string_view rest = m.substr(close + 1);
  std::size_t i = 0;
  // Every column but the last ("name", which may contain spaces) is a number.
  for (std::size_t c = 1; c + 1 < e->table_columns.size(); ++c) {
    while (i < rest.size() && text::is_space(rest[i])) ++i;
    std::string_view tok = text::token_at(rest, i);
    if (tok.empty()) return false;
    set_column(row, e->table_columns[c], tok);
    i += tok.size();
  }
  row.name.assign(text::trim(rest.substr(i < rest.size() ? i : rest.size())));
  e->last = Where{l.no, l.ts};
  if (st.table_rows_kept >= st.opt.limits.table_rows_total) {
    ++e->table_rows_dropped;
    return true;
  }
  if (st.push_capped(e->table, std::move(row), st.opt.limits.table_rows, e->table_rows_dropped)) ++st.table_rows_kept;
  return true;
}

}  // namespace oomlab::analyzer
