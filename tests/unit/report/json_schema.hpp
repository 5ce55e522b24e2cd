// A validator for the JSON Schema subset docs/report.schema.json uses: type (a name or a list),
// required, properties, additionalProperties (bool or schema), items, enum, minimum, maximum.
// Returns the list of violations, each with its JSON pointer; empty means valid.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lumen::testing {

inline bool json_has_type(const nlohmann::json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer")
    return v.is_number_integer() ||
           (v.is_number() &&
            v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

inline void validate_json(const nlohmann::json& v, const nlohmann::json& schema,
                          const std::string& at, std::vector<std::string>& errors) {
  if (schema.contains("type")) {
    bool ok = false;
    if (schema["type"].is_array()) {
      for (const auto& t : schema["type"]) ok = ok || json_has_type(v, t.get<std::string>());
    } else {
      ok = json_has_type(v, schema["type"].get<std::string>());
    }
    if (!ok) {
      errors.push_back(at + ": type is not " + schema["type"].dump() + " (value " + v.dump() + ")");
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) errors.push_back(at + ": " + v.dump() + " is not one of " + schema["enum"].dump());
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>()) {
      errors.push_back(at + ": " + v.dump() + " < minimum " + schema["minimum"].dump());
    }
    if (schema.contains("maximum") && d > schema["maximum"].get<double>()) {
      errors.push_back(at + ": " + v.dump() + " > maximum " + schema["maximum"].dump());
    }
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const auto& k : schema["required"]) {
        if (!v.contains(k.get<std::string>())) errors.push_back(at + ": missing " + k.dump());
      }
    }
    const nlohmann::json props = schema.value("properties", nlohmann::json::object());
    for (const auto& [k, child] : v.items()) {
      if (props.contains(k)) {
        validate_json(child, props[k], at + "/" + k, errors);
      } else if (schema.contains("additionalProperties")) {
        const auto& extra = schema["additionalProperties"];
        if (extra.is_boolean()) {
          if (!extra.get<bool>()) errors.push_back(at + ": unexpected property " + k);
        } else {
          validate_json(child, extra, at + "/" + k, errors);
        }
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      validate_json(v[i], schema["items"], at + "/" + std::to_string(i), errors);
    }
  }
}

inline std::vector<std::string> validate_json(const nlohmann::json& v,
                                              const nlohmann::json& schema) {
  std::vector<std::string> errors;
  validate_json(v, schema, "", errors);
  return errors;
}

}  // namespace lumen::testing
