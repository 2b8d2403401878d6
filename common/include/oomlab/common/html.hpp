// Escaping text for the self-contained HTML pages the runner and the VM
// harness write (report.html): &, <, > and " (attribute values are quoted).
#pragma once
#include <string>
#include <string_view>

namespace oomlab {

std::string html_escape(std::string_view s);

}  // namespace oomlab
