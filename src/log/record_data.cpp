#include "log/record_data.hpp"

#include <cstring>
#include <limits>

#include "log/json_writer.hpp"
#include "log/record.hpp"

namespace lumen::log::detail {

void read_attributes(Reader& reader, const Redactor& redactor, Attributes& out) {
  while (!reader.done()) {
    const std::string_view key = reader.str();
    if (redactor.matches(key)) {
      reader.skip_value();
      out.set_string(key, "[REDACTED]");
      continue;
    }
    Reader at_value = reader;  // for the JSON text of nested values
    const auto kind = static_cast<Value::Kind>(reader.byte());
    switch (kind) {
      case Value::Kind::kBool:
        out.set(key, reader.byte() != 0);
        break;
      case Value::Kind::kInt:
        out.set(key, static_cast<std::int64_t>(reader.u64()));
        break;
      case Value::Kind::kUint: {
        const std::uint64_t u = reader.u64();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          out.set(key, static_cast<std::int64_t>(u));
        } else {
          out.set(key, std::to_string(u));  // exact, which a double would not be
        }
        break;
      }
      case Value::Kind::kDouble: {
        const std::uint64_t bits = reader.u64();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        out.set(key, d);
        break;
      }
      case Value::Kind::kString:
        out.set_string(key, reader.str());
        break;
      case Value::Kind::kNull:
      case Value::Kind::kObject:
      case Value::Kind::kArray: {
        // Attributes hold no nested values: the JSON text keeps what was logged, redaction
        // included.
        std::string json;
        append_value(json, at_value, redactor);
        reader = at_value;
        out.set(key, std::move(json));
        break;
      }
    }
  }
}

}  // namespace lumen::log::detail
