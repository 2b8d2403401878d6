// The guest's /init (vm/guest/init.sh), compiled into the harness.
#pragma once
#include <string_view>

namespace oomlab::vm {

std::string_view guest_init_script();

}  // namespace oomlab::vm
