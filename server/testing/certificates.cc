#include "server/testing/certificates.h"

#include <fstream>
#include <iterator>

#include "tests/test_util.h"

namespace drift {
namespace server {
namespace test {

testing::AssertionResult MakeCertificates(const std::string& dir) {
  const std::string d = dir + "/";
  std::ofstream(d + "ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  const std::string key =
      " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  for (const std::string& cmd :
       {"openssl req -x509" + key + " -keyout " + d + "ca.key -out " + d +
            "ca.pem -days 2 -subj /CN=drift-test-ca",
        "openssl req" + key + " -keyout " + d + "server.key -out " + d +
            "server.csr -subj /CN=localhost",
        "openssl x509 -req -in " + d + "server.csr -CA " + d +
            "ca.pem -CAkey " + d + "ca.key -CAcreateserial -days 2 -extfile " +
            d + "ext -out " + d + "server.pem",
        "openssl req" + key + " -keyout " + d + "client.key -out " + d +
            "client.csr -subj /CN=drift-test-client",
        "openssl x509 -req -in " + d + "client.csr -CA " + d +
            "ca.pem -CAkey " + d + "ca.key -CAcreateserial -days 2 -out " + d +
            "client.pem"}) {
    const drift::test::CommandResult r = drift::test::RunCommand(cmd);
    if (r.code != 0) {
      return testing::AssertionFailure() << cmd << "\n" << r.output;
    }
  }
  return testing::AssertionSuccess();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace test
}  // namespace server
}  // namespace drift
