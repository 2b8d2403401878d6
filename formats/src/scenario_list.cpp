#include "oomlab/formats/scenario_list.hpp"

#include "json_field.hpp"

namespace oomlab::formats {

using namespace detail;

std::string encode_scenario_list(const std::vector<ScenarioInfo>& list) {
  json out = json::array();
  for (const ScenarioInfo& s : list) {
    json options = json::array();
    for (const ScenarioOptionInfo& o : s.options)
      options.push_back({{"name", o.name}, {"default", o.default_value}, {"help", o.help}});
    out.push_back({{"name", s.name},
                   {"summary", s.summary},
                   {"needs_cgroup_v2", s.needs_cgroup_v2},
                   {"needs_disk", s.needs_disk},
                   {"options", options}});
  }
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

std::optional<std::vector<ScenarioInfo>> decode_scenario_list(std::string_view text, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    if (why) *why = "the scenario list is not a JSON array";
    return std::nullopt;
  }
  std::vector<ScenarioInfo> list;
  for (const json& e : j) {
    if (!e.is_object()) continue;
    ScenarioInfo s;
    s.name = get<std::string>(e, "name"), s.summary = get<std::string>(e, "summary");
    s.needs_cgroup_v2 = get<bool>(e, "needs_cgroup_v2"), s.needs_disk = get<bool>(e, "needs_disk");
    for (const json& o : array(e, "options"))
      if (o.is_object())
        s.options.push_back({get<std::string>(o, "name"), get<std::string>(o, "default"), get<std::string>(o, "help")});
    list.push_back(std::move(s));
  }
  return list;
}

}  // namespace oomlab::formats
