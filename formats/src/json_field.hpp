// Internal: reading one field of a decoded JSON object into a typed value.
// The rule of every oomlab codec (report, runs, the watchdog JSON lines): a
// missing field, null, or a value of another type gives the fallback; an
// integer only when it fits the field's type (a float or an out-of-range
// number converted to T would be undefined behaviour).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace oomlab::formats::detail {

using json = nlohmann::json;

template <typename T>
std::optional<T> as(const json& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean() ? std::optional<T>(v.get<bool>()) : std::nullopt;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? std::optional<T>(v.get<std::string>()) : std::nullopt;
  } else if constexpr (std::is_floating_point_v<T>) {
    return v.is_number() ? std::optional<T>(v.get<T>()) : std::nullopt;
  } else {
    if (v.is_number_unsigned()) {
      auto x = v.get<std::uint64_t>();
      return std::in_range<T>(x) ? std::optional<T>(static_cast<T>(x)) : std::nullopt;
    }
    if (v.is_number_integer()) {
      auto x = v.get<std::int64_t>();
      return std::in_range<T>(x) ? std::optional<T>(static_cast<T>(x)) : std::nullopt;
    }
    return std::nullopt;
  }
}

// j[key] as T, nullopt when absent, null or of another type.
template <typename T>
std::optional<T> opt(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  return it == j.end() ? std::nullopt : as<T>(*it);
}

template <typename T>
T get(const json& j, const char* key, T fallback = T{}) {
  return opt<T>(j, key).value_or(std::move(fallback));
}

// j[key] when it is an object/array, else an empty one (a reference to a
// static: safe to iterate).
inline const json& object(const json& j, const char* key) {
  static const json empty = json::object();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}
inline const json& array(const json& j, const char* key) {
  static const json empty = json::array();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

template <typename T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
inline json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// Why j is not a document of `expected` ("schema is \"x/2\", expected
// \"x/1\""), one line whatever the file holds; nullopt when it is.
inline std::optional<std::string> schema_problem(const json& j, std::string_view expected) {
  const std::string want = "\"" + std::string(expected) + "\"";
  auto schema = opt<std::string>(j, "schema");
  if (!schema) return "no \"schema\" (expected " + want + ")";
  if (*schema == expected) return std::nullopt;
  std::string shown = schema->substr(0, 40);
  for (char& ch : shown)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return "schema is \"" + shown + (schema->size() > 40 ? "...\"" : "\"") + ", expected " + want;
}

}  // namespace oomlab::formats::detail
