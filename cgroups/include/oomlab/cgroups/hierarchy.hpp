// Where the memory controller lives on this machine: facts' one detection
// (facts/cgroup_hierarchy.hpp, pure), read once for this process here.
#pragma once
#include <string>
#include <string_view>

#include "oomlab/facts/cgroup_hierarchy.hpp"

namespace oomlab::cgroups {

using Layout = facts::CgroupLayout;
using Hierarchy = facts::CgroupHierarchy;
using facts::layout_name;
using facts::parse_hierarchy;

// The running machine's layout (read once and cached).
const Hierarchy& host_hierarchy();

}  // namespace oomlab::cgroups
