// Bytes written as numbers, for the tests that build protobuf bodies by hand.
#pragma once

#include <initializer_list>
#include <string>

namespace lumen::exporters::detail {

inline std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out.push_back(static_cast<char>(b));
  return out;
}

}  // namespace lumen::exporters::detail
