// W3C Trace Context: the tracestate header, a list of vendor key=value members.
// https://www.w3.org/TR/trace-context-2/#tracestate-header
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ascii.hpp"
#include "lumen/core/error.hpp"
#include "lumen/trace/propagation.hpp"
#include "lumen/trace/tracestate.hpp"

namespace lumen::propagation {
namespace {

using ascii::trim_ows;

bool is_lcalpha(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}

// key = ( lcalpha / DIGIT ) 0*255 ( keychar ), keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" /
// "@". The current grammar: it accepts every key of the earlier simple-key / tenant@system one,
// and more ("1abc", "foo@", a tenant id over 241 characters).
bool is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > 256) return false;
  if (!is_lcalpha(key.front()) && !is_digit(key.front())) return false;
  return std::all_of(key.begin(), key.end(), is_key_char);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool is_valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7E && c != ',' && c != '='; });
}

struct Member {
  std::string_view key;
  std::string_view text;  // "key=value", without the whitespace around it
};

// Calls visit(member) for the non-empty members of `header` in order (empty and blank members are
// allowed and skipped); false if one of them is not a valid key=value pair.
template <typename Visit>
bool for_each_member(std::string_view header, Visit&& visit) {
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view member = trim_ows(header.substr(start, comma - start));
    start = comma + 1;
    if (member.empty()) continue;
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = member.substr(0, eq);
    if (!is_valid_key(key) || !is_valid_value(member.substr(eq + 1))) return false;
    visit(Member{key, member});
  }
  return true;
}

bool has_key(const std::vector<Member>& members, std::string_view key) {
  return std::any_of(members.begin(), members.end(),
                     [&](const Member& member) { return member.key == key; });
}

}  // namespace

bool is_valid_tracestate(std::string_view header) noexcept {
  try {
    std::vector<Member> members;
    bool within_rules = true;
    const bool valid = for_each_member(header, [&](const Member& member) {
      within_rules =
          within_rules && members.size() < kMaxTraceStateMembers && !has_key(members, member.key);
      if (within_rules) members.push_back(member);
    });
    return valid && within_rules;
  } catch (...) {
    return false;  // out of memory
  }
}

std::string normalize_tracestate(std::string_view header) {
  // "Only one entry per key is allowed because the entry represents that last position in the
  // trace": a repeated key is a stale position, and the list stays useful without it.
  std::vector<Member> kept;
  std::size_t short_members = 0;
  const bool valid = for_each_member(header, [&](const Member& member) {
    // Past 32 members of at most 128 characters, truncation (below) removes every later member:
    // they need no keeping, which bounds the work for any header.
    if (short_members == kMaxTraceStateMembers || has_key(kept, member.key)) return;
    kept.push_back(member);
    if (member.text.size() <= kMaxTraceStateMemberLength) ++short_members;
  });
  if (!valid) return {};

  // Truncation as the specification orders it: whole entries only, those over 128 characters
  // first, then from the end, until at most 32 members and 512 characters remain.
  const auto fits = [&] {
    std::size_t length = kept.empty() ? 0 : kept.size() - 1;  // the commas
    for (const Member& member : kept) length += member.text.size();
    return kept.size() <= kMaxTraceStateMembers && length <= kMaxTraceStateLength;
  };
  for (std::size_t i = kept.size(); i > 0 && !fits(); --i) {
    if (kept[i - 1].text.size() > kMaxTraceStateMemberLength) {
      kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(i - 1));
    }
  }
  while (!fits()) kept.pop_back();

  std::string out;
  for (const Member& member : kept) {
    if (!out.empty()) out += ',';
    out += member.text;
  }
  return out;
}

std::optional<std::string> tracestate_value(std::string_view list, std::string_view key) {
  std::optional<std::string> found;
  const bool valid = for_each_member(list, [&](const Member& member) {
    if (!found && member.key == key) found.emplace(member.text.substr(key.size() + 1));
  });
  return valid ? found : std::nullopt;
}

std::string tracestate_with(std::string_view list, std::string_view key, std::string_view value) {
  if (!is_valid_key(key) || !is_valid_value(value)) {
    throw Error("tracestate member '" + std::string(key) + "=" + std::string(value) +
                "' does not follow the W3C key and value grammar");
  }
  // "Adding a new key/value pair: the new key/value pair SHOULD be added to the beginning of the
  // list"; "Updating: the modified key/value pair MUST be moved to the beginning of the list".
  // Normalising then removes the member the key had further right, and past 32 members the
  // right-most ones ("the right-most list-member should be removed").
  std::string joined;
  joined.reserve(key.size() + 1 + value.size() + 1 + list.size());
  joined.append(key).append("=").append(value);
  const std::string rest = normalize_tracestate(list);
  if (!rest.empty()) joined.append(",").append(rest);
  return normalize_tracestate(joined);
}

std::string tracestate_without(std::string_view list, std::string_view key) {
  std::string out;
  const bool valid = for_each_member(normalize_tracestate(list), [&](const Member& member) {
    if (member.key == key) return;
    if (!out.empty()) out += ',';
    out += member.text;
  });
  return valid ? out : std::string();
}

SpanContext with_trace_state(const SpanContext& span, std::string trace_state) {
  return SpanContext(
      span.trace_id(), span.span_id(), span.flags(), span.is_remote(),
      trace_state.empty() ? nullptr : std::make_shared<const std::string>(std::move(trace_state)));
}

}  // namespace lumen::propagation
