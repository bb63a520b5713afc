// Option checks, config files and the tokens file of drift_server.
#include "server/options.h"

#include <gtest/gtest.h>

#include <fstream>

#include "server/auth.h"
#include "tests/test_util.h"

namespace drift {
namespace server {
namespace {

TEST(ServerOptionsTest, LoopbackOnlyUnlessSecuredOrExplicitlyInsecure) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:0"));
  EXPECT_TRUE(IsLoopbackListen("localhost:50051"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:50051"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackListen("[::]:50051"));
  EXPECT_FALSE(IsLoopbackListen("10.1.2.3:50051"));

  ServerOptions o;
  o.db_path = "/tmp/x";
  std::vector<std::string> warnings;
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  EXPECT_TRUE(warnings.empty());
  o.listen = "0.0.0.0:50051";
  EXPECT_TRUE(ValidateServerOptions(o, &warnings).IsInvalidArgument());
  o.allow_insecure_remote = true;
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("INSECURE"), std::string::npos);
  o.allow_insecure_remote = false;
  o.tokens_file = "/tmp/tokens";
  warnings.clear();
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  ASSERT_EQ(warnings.size(), 1u);  // tokens in clear text
  o.tls_cert = "cert.pem";
  warnings.clear();
  EXPECT_TRUE(
      ValidateServerOptions(o, &warnings).IsInvalidArgument());  // no key
  o.tls_key = "key.pem";
  EXPECT_OK(ValidateServerOptions(o, &warnings));
  EXPECT_TRUE(warnings.empty());

  ServerOptions bad;
  EXPECT_TRUE(
      ValidateServerOptions(bad, &warnings).IsInvalidArgument());  // --db
  bad.db_path = "/tmp/x";
  bad.role = "router";  // with --db and without --shards
  EXPECT_TRUE(ValidateServerOptions(bad, &warnings).IsInvalidArgument());
  bad.role = "worker";  // without secondary_path
  EXPECT_TRUE(ValidateServerOptions(bad, &warnings).IsInvalidArgument());
  bad.secondary_path = bad.db_path;
  EXPECT_TRUE(ValidateServerOptions(bad, &warnings).IsInvalidArgument());
  bad.secondary_path = "/tmp/y";
  EXPECT_OK(ValidateServerOptions(bad, &warnings));
  bad.role = "primary";  // with secondary_path
  EXPECT_TRUE(ValidateServerOptions(bad, &warnings).IsInvalidArgument());
  bad.secondary_path.clear();
  bad.max_inflight = 0;
  EXPECT_TRUE(ValidateServerOptions(bad, &warnings).IsInvalidArgument());
  bad.max_inflight = 1;
  bad.listen = "no-port";
  EXPECT_TRUE(ValidateServerOptions(bad, &warnings).IsInvalidArgument());
}

TEST(ServerOptionsTest, ConfigFileLines) {
  const std::string dir = drift::test::TempDir("server_options_test");
  const std::string path = dir + "/conf";
  std::ofstream(path)
      << "# comment\n\n  --db = /data/drift \nlisten=1.2.3.4:5\n"
      << "db_options=max_background_jobs=4\n";
  std::vector<std::pair<std::string, std::string>> settings;
  ASSERT_OK(ReadConfigFile(path, &settings));
  ASSERT_EQ(settings.size(), 3u);
  EXPECT_EQ(settings[0],
            std::make_pair(std::string("db"), std::string("/data/drift")));
  EXPECT_EQ(settings[1].second, "1.2.3.4:5");
  EXPECT_EQ(settings[2], std::make_pair(std::string("db_options"),
                                        std::string("max_background_jobs=4")));
  std::ofstream(path) << "db=/x\nno equals sign\n";
  settings.clear();
  rocksdb::Status s = ReadConfigFile(path, &settings);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("line 2"), std::string::npos) << s.ToString();
  EXPECT_TRUE(ReadConfigFile(dir + "/missing", &settings).IsIOError());
  drift::test::RemoveDir(dir);
}

TEST(TokenAuthorizerTest, ParsesReadOnlyAndReadWriteTokens) {
  TokenAuthorizer auth;
  EXPECT_FALSE(auth.enabled());
  EXPECT_OK(TokenAuthorizer::Parse(
      "# tokens\nrw 0123456789abcdef0123\n\nro ro-0123456789abcdef\n", &auth));
  EXPECT_TRUE(auth.enabled());
  TokenAuthorizer other;
  for (const char* bad :
       {"", "# only a comment\n", "rx 0123456789abcdef0123\n", "rw short\n",
        "rw 0123456789abcdef0123 extra\n", "ro\n"}) {
    rocksdb::Status s = TokenAuthorizer::Parse(bad, &other);
    EXPECT_TRUE(s.IsInvalidArgument()) << "'" << bad << "': " << s.ToString();
  }
  EXPECT_FALSE(other.enabled());
}

}  // namespace
}  // namespace server
}  // namespace drift
