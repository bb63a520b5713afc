// The drift_server binary: the port line on stdout, options from --config,
// refusal of an insecure non-loopback address, graceful SIGTERM, and no
// acknowledged write lost to kill -9 while clients are writing.
#include "server/testing/server_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "server/testing/server_fixture.h"
#include "tests/test_util.h"

namespace drift {
namespace server {
namespace test {
namespace {

constexpr uint32_t kDim = 16;

// ServerFixture for its directory; the servers are processes.
class ServerProcessTest : public ServerFixture {
 protected:
  std::vector<std::string> Args() const {
    return {"--db=" + dir_ + "/db", "--listen=127.0.0.1:0"};
  }
  // Every record of the model is stored with its vector and payload.
  void ExpectAllPresent(Client* client, const RecordModel& model) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : model.vectors) keys.push_back(k);
    v1::GetResponse got;
    grpc::Status st = client->Get("c", keys, &got);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(got.results_size(), static_cast<int>(keys.size()));
    for (const auto& r : got.results()) {
      ASSERT_TRUE(r.found()) << "acknowledged key " << r.key() << " lost";
      EXPECT_EQ(std::vector<float>(r.vector().values().begin(),
                                   r.vector().values().end()),
                model.vectors.at(r.key()));
      EXPECT_EQ(r.payload(), model.payloads.at(r.key()));
    }
  }
};

TEST_F(ServerProcessTest, KillNineLosesNoAcknowledgedUpsert) {
  ServerProcess server;
  ASSERT_TRUE(server.Start(Args()));
  Client client(server.address());
  ASSERT_TRUE(client.Create("c", kDim).ok());
  // Two writers upsert batches of new keys until the server dies; a batch
  // enters the model only once acknowledged.
  std::mutex mu;
  RecordModel model;
  std::atomic<int> acked{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(w);
      for (int batch = 0;; ++batch) {
        std::vector<v1::Record> records;
        for (int i = 0; i < 20; ++i) {
          const std::string key = "w" + std::to_string(w) + "-" +
                                  std::to_string(batch) + "-" +
                                  std::to_string(i);
          records.push_back(
              MakeRecord(key, RandomVector(&rng, kDim), "p" + key));
        }
        if (!client.Upsert("c", records).ok()) return;  // the server died
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& r : records) model.Upsert(r);
        acked.fetch_add(1);
      }
    });
  }
  while (acked.load() < 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int status = server.Stop(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(status));
  for (auto& t : writers) t.join();

  ServerProcess restarted;
  ASSERT_TRUE(restarted.Start(Args()));
  Client again(restarted.address());
  ExpectAllPresent(&again, model);
  EXPECT_GE(model.vectors.size(), 1000u);
  EXPECT_EQ(restarted.Stop(SIGTERM), 0);
}

TEST_F(ServerProcessTest, SigtermIsGracefulAndConfigFileSetsFlags) {
  // --db and --listen from the config file; the command line wins over it.
  const std::string config = dir_ + "/drift_server.conf";
  std::ofstream(config) << "# drift_server config\n--db=" << dir_
                        << "/db\nlisten = 127.0.0.1:0\nmax_inflight=8\n"
                        << "search_threads=9999999999\n";
  {
    ServerProcess bad;
    EXPECT_FALSE(bad.Start({"--config=" + config}));  // bad value: exits
    EXPECT_EQ(WEXITSTATUS(bad.Stop(SIGKILL)), 2);
  }
  std::ofstream(config) << "--db=" << dir_ << "/db\nlisten = 127.0.0.1:0\n"
                        << "max_inflight=8\n";
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--config=" + config, "--sync_writes"}));
  EXPECT_EQ(server.address().rfind("127.0.0.1:", 0), 0u) << server.address();
  Client client(server.address());
  ASSERT_TRUE(client.Create("c", kDim).ok());
  RecordModel model;
  std::mt19937 rng(9);
  std::vector<v1::Record> records;
  for (int i = 0; i < 200; ++i) {
    records.push_back(
        MakeRecord("k" + std::to_string(i), RandomVector(&rng, kDim), "v"));
    model.Upsert(records.back());
  }
  ASSERT_TRUE(client.Upsert("c", records).ok());
  const int status = server.Stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  ServerProcess restarted;
  ASSERT_TRUE(restarted.Start({"--config=" + config}));
  Client again(restarted.address());
  ExpectAllPresent(&again, model);
  EXPECT_EQ(restarted.Stop(SIGTERM), 0);
}

TEST_F(ServerProcessTest, RefusesAnInsecureNonLoopbackAddress) {
  const drift::test::CommandResult r =
      drift::test::RunCommand(std::string(DRIFT_SERVER_BIN) + " --db=" + dir_ +
                              "/db --listen=0.0.0.0:0");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("neither TLS"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace test
}  // namespace server
}  // namespace drift
