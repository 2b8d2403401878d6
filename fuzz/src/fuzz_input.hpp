// Helpers shared by the fuzz targets: a cursor that takes control bytes off
// the front of libFuzzer's input (which wrapper, which limits) and leaves the
// rest as the text under test.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oomlab::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  // One control byte (0 when the input is used up).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Splits text at NUL bytes into up to n pieces (several files in one input).
template <std::size_t N>
void split_nul(std::string_view text, std::string_view (&out)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    std::size_t nul = text.find('\0');
    out[i] = text.substr(0, nul);
    text.remove_prefix(nul == std::string_view::npos ? text.size() : nul + 1);
  }
}

}  // namespace oomlab::fuzz
