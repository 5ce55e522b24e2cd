#include "command_line.hpp"

#include <algorithm>
#include <cmath>

#include "lumen/core/version.hpp"

namespace apps {

namespace detail {

std::string number_text(double value, bool integer) {
  if (integer) return std::to_string(static_cast<long long>(value));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string out_of_range(double value, double min, double max, bool above_min, bool has_max,
                         bool integer) {
  if (!std::isfinite(value)) return "'" + number_text(value, false) + "' is not a finite number";
  const bool low = above_min ? !(value > min) : !(value >= min);
  if (!low && (!has_max || value <= max)) return "";
  const std::string given = ", not " + number_text(value, integer);
  if (has_max && above_min) {
    return "must be more than " + number_text(min, integer) + " and at most " +
           number_text(max, integer) + given;
  }
  if (has_max)
    return "must be " + number_text(min, integer) + " to " + number_text(max, integer) + given;
  return (above_min ? "must be more than " : "must be at least ") + number_text(min, integer) +
         given;
}

}  // namespace detail

CommandLine::CommandLine(std::string program, std::string summary, std::string usage)
    : program_(std::move(program)), summary_(std::move(summary)), usage_(std::move(usage)) {}

void CommandLine::add(Option option) {
  options_.push_back(std::move(option));
}

void CommandLine::flag(std::string name, std::string help, std::function<void()> set) {
  add({.name = std::move(name),
       .help = std::move(help),
       .set = [set = std::move(set)](std::string_view) {
         set();
         return std::string();
       }});
}

void CommandLine::text(std::string name, std::string metavar, std::string help, std::string& out) {
  custom(std::move(name), std::move(metavar), std::move(help), out, [&out](std::string_view text) {
    out = std::string(text);
    return std::string();
  });
}

void CommandLine::custom(std::string name, std::string metavar, std::string help,
                         std::string default_text,
                         std::function<std::string(std::string_view)> set) {
  add({.name = std::move(name),
       .metavar = std::move(metavar),
       .help = std::move(help),
       .default_text = std::move(default_text),
       .set = std::move(set)});
}

void CommandLine::alias(std::string alias, const std::string& name) {
  if (Option* option = find(name)) option->aliases.push_back(std::move(alias));
}

void CommandLine::arguments(std::string metavar, std::function<void(std::string_view)> add) {
  arguments_metavar_ = std::move(metavar);
  add_argument_ = std::move(add);
}

void CommandLine::epilog(std::string text) {
  epilog_ = std::move(text);
}

void CommandLine::version_detail(std::string detail) {
  version_detail_ = std::move(detail);
}

void CommandLine::print_version() const {
  std::printf("%s (lumen %s%s%s)\n", program_.c_str(), lumen::kVersion,
              version_detail_.empty() ? "" : ", ", version_detail_.c_str());
}

CommandLine::Option* CommandLine::find(std::string_view name) {
  for (Option& option : options_) {
    if (option.name == name) return &option;
    if (std::find(option.aliases.begin(), option.aliases.end(), name) != option.aliases.end()) {
      return &option;
    }
  }
  return nullptr;
}

int CommandLine::fail(std::string_view why) const {
  std::fprintf(stderr, "%s: %.*s\n(--help lists the options)\n", program_.c_str(),
               static_cast<int>(why.size()), why.data());
  return 2;
}

std::optional<int> CommandLine::parse(int argc, const char* const* argv, int first) {
  bool options_ended = false;  // after "--" everything is an argument
  for (int i = first; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool looks_like_option = !options_ended && arg.size() > 1 && arg[0] == '-';
    if (!looks_like_option) {
      if (!add_argument_) return fail("unexpected argument '" + std::string(arg) + "'");
      add_argument_(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      print_help(stdout);
      return 0;
    }
    if (arg == "--version") {
      print_version();
      return 0;
    }
    const std::size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    Option* option = find(name);
    if (option == nullptr) return fail("unknown option " + std::string(name));
    std::string_view value;
    if (option->metavar.empty()) {
      if (equals != std::string_view::npos) return fail(std::string(name) + " takes no value");
    } else if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return fail(std::string(name) + " needs a value (" + option->metavar + ")");
    }
    if (const std::string why = option->set(value); !why.empty()) {
      return fail(std::string(name) + ": " + why);
    }
  }
  return std::nullopt;
}

void CommandLine::print_help(std::FILE* out) const {
  std::fprintf(out, "usage: %s %s\n\n%s\n\noptions:\n", program_.c_str(), usage_.c_str(),
               summary_.c_str());
  struct Row {
    std::string left;
    std::string right;
  };
  std::vector<Row> rows;
  for (const Option& o : options_) {
    std::string left;
    for (const std::string& a : o.aliases)
      left += a + (o.metavar.empty() ? "" : " " + o.metavar) + ", ";
    left += o.name + (o.metavar.empty() ? "" : " " + o.metavar);
    std::string right = o.help;
    if (!o.default_text.empty()) right += " (default: " + o.default_text + ")";
    rows.push_back({std::move(left), std::move(right)});
  }
  rows.push_back({"-h, --help", "print this help and exit"});
  rows.push_back({"--version", "print the program's and lumen's version and exit"});
  constexpr std::size_t kMaxColumn = 30;
  std::size_t column = 0;
  for (const Row& r : rows) column = std::max(column, std::min(r.left.size(), kMaxColumn));
  for (const Row& r : rows) {
    if (r.left.size() > column) {
      // Too wide for the column: the help goes on its own line, aligned with the others.
      std::fprintf(out, "  %s\n  %*s  %s\n", r.left.c_str(), static_cast<int>(column), "",
                   r.right.c_str());
    } else {
      std::fprintf(out, "  %-*s  %s\n", static_cast<int>(column), r.left.c_str(), r.right.c_str());
    }
  }
  if (!epilog_.empty()) std::fprintf(out, "\n%s", epilog_.c_str());
  if (!epilog_.empty() && epilog_.back() != '\n') std::fputc('\n', out);
}

}  // namespace apps
