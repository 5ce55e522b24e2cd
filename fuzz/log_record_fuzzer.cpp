// A log record with any message, field keys and values (strings of any bytes, numbers, nested
// objects and arrays past the depth limit, redacted keys, reserved keys, a child's bound fields),
// through a synchronous Logger to a JSON sink and the human console format. Every line is one
// valid JSON object on one line, with the logger's own keys present once each: no field shadows
// them. The sink also takes each record as data (typed attributes, as the OTLP sink does).
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "lumen/log/console_sink.hpp"
#include "lumen/log/logger.hpp"

namespace {

using lumen::log::Field;
using lumen::log::Value;

bool is_reserved(std::string_view key) {
  for (const std::string_view reserved : lumen::log::kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

class CheckingSink final : public lumen::log::Sink {
 public:
  bool write(const lumen::log::FormattedRecord& record) override {
    FUZZ_CHECK(record.json.find('\n') == std::string_view::npos);
    std::set<std::string> top_level_keys;
    const auto parsed = nlohmann::json::parse(
        record.json,
        [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& value) {
          // A record may repeat its own keys; a key the logger writes is never repeated.
          if (event == nlohmann::json::parse_event_t::key && depth == 1 &&
              is_reserved(value.get<std::string>())) {
            FUZZ_CHECK(top_level_keys.insert(value.get<std::string>()).second);
          }
          return true;
        },
        /*allow_exceptions=*/false);
    FUZZ_CHECK(parsed.is_object());
    for (const char* key : {"timestamp", "level", "message", "service", "environment"}) {
      FUZZ_CHECK(parsed.contains(key) && parsed[key].is_string());
    }
    FUZZ_CHECK(record.data != nullptr);
    return true;
  }
  [[nodiscard]] bool wants_data() const override { return true; }
};

// Builds fields and values from the fuzzer's bytes; owns what they view.
class FieldBuilder {
 public:
  explicit FieldBuilder(FuzzedDataProvider& input) : input_(input) {}

  std::vector<Field> fields(std::size_t max_count, int depth) {
    std::vector<Field> out;
    const std::size_t count = input_.ConsumeIntegralInRange<std::size_t>(0, max_count);
    for (std::size_t i = 0; i < count && input_.remaining_bytes() > 0; ++i) {
      out.push_back(Field{key(), value(depth)});
    }
    return out;
  }

 private:
  std::string_view key() {
    // Often a key the logger treats specially, to reach renaming and redaction.
    static constexpr std::string_view kSpecial[] = {
        "level",    "message",       "timestamp",          "service", "traceId", "field.level",
        "password", "Authorization", "field.field.span_id"};
    if (input_.ConsumeBool()) return kSpecial[input_.ConsumeIntegralInRange<std::size_t>(0, 8)];
    return text();
  }

  std::string_view text() { return strings_.emplace_back(input_.ConsumeRandomLengthString(64)); }

  Value value(int depth) {
    switch (input_.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
        return nullptr;
      case 1:
        return input_.ConsumeBool();
      case 2:
        return input_.ConsumeIntegral<std::int64_t>();
      case 3:
        return input_.ConsumeIntegral<std::uint64_t>();
      case 4:
        return input_.ConsumeFloatingPoint<double>();
      case 5:
        return text();
      case 6: {
        if (depth > 80) return nullptr;
        const std::vector<Field>& members = field_lists_.emplace_back(fields(3, depth + 1));
        return lumen::log::Object(members.data(), members.size());
      }
      default: {
        if (depth > 80) return nullptr;
        std::vector<Value>& items = value_lists_.emplace_back();
        const std::size_t count = input_.ConsumeIntegralInRange<std::size_t>(0, 3);
        for (std::size_t i = 0; i < count && input_.remaining_bytes() > 0; ++i) {
          items.push_back(value(depth + 1));
        }
        return lumen::log::Array(items.data(), items.size());
      }
    }
  }

  FuzzedDataProvider& input_;
  std::deque<std::string> strings_;
  std::deque<std::vector<Field>> field_lists_;
  std::deque<std::vector<Value>> value_lists_;
};

lumen::log::Logger& logger() {
  static lumen::log::Logger instance(
      lumen::log::LoggerOptions{.level = lumen::log::Level::kTrace,
                                .asynchronous = false,
                                .service = "fuzz",
                                .environment = "fuzzing"},
      {std::make_shared<CheckingSink>(),
       std::make_shared<lumen::log::ConsoleSink>(
           lumen::log::ConsoleSinkOptions{.format = lumen::log::ConsoleFormat::kHuman,
                                          .fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC)})});
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  FieldBuilder builder(input);
  const auto level = static_cast<lumen::log::Level>(input.ConsumeIntegralInRange<int>(0, 4));
  const std::string message = input.ConsumeRandomLengthString(256);
  const std::vector<Field> bound = builder.fields(2, 1);
  const std::vector<Field> fields = builder.fields(8, 1);
  lumen::log::Logger& log = logger();
  if (bound.size() == 2) {
    log.child({bound[0], bound[1]}).log(level, message, fields.data(), fields.size());
  } else {
    log.log(level, message, fields.data(), fields.size());
  }
  log.flush();
  return 0;
}
