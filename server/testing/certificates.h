// Test certificates made with the openssl command: a CA, a server
// certificate it signed for localhost and 127.0.0.1, and a client
// certificate it signed.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace drift {
namespace server {
namespace test {

// Writes <dir>/ca.pem, ca.key, server.pem, server.key, client.pem and
// client.key (EC P-256, valid two days); a fresh CA on every call.
testing::AssertionResult MakeCertificates(const std::string& dir);

// The contents of a file ("" if unreadable).
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace test
}  // namespace server
}  // namespace drift
