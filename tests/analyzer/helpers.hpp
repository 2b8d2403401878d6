// Shared by the analyzer tests: load a fixture or a seed, find findings.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "oomlab/analyzer/analyzer.hpp"

namespace oomlab::analyzer::test {

inline std::string fixture_path(const std::string& name) {
  return std::string(OOMLAB_SOURCE_DIR) + "/tests/analyzer/fixtures/" + name;
}

inline Report fixture(const std::string& name, const Options& opt = {}) { return analyze_file(fixture_path(name), opt); }

// The seed whose file name starts with `prefix` ("003_").
std::string seed_path(const std::string& prefix);
inline Report seed(const std::string& prefix) { return analyze_file(seed_path(prefix)); }

inline std::vector<const Finding*> findings_of(const Report& r, VerdictClass c) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.klass == c) out.push_back(&f);
  return out;
}

inline const TaskRole* role_of(const Finding& f, int pid) {
  auto it = std::find_if(f.tasks.begin(), f.tasks.end(), [&](const TaskRole& t) { return t.pid == pid; });
  return it == f.tasks.end() ? nullptr : &*it;
}

inline const Task* task_of(const Report& r, int pid) {
  auto it = std::find_if(r.tasks.begin(), r.tasks.end(), [&](const Task& t) { return t.pid == pid; });
  return it == r.tasks.end() ? nullptr : &*it;
}

template <class T>
const T* detail(const Finding& f, const std::string& key) {
  for (const auto& [k, v] : f.details)
    if (k == key) return std::get_if<T>(&v);
  return nullptr;
}

}  // namespace oomlab::analyzer::test
