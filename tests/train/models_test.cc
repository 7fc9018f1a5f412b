#include "stages/train/models.h"

#include <gtest/gtest.h>

#include "stages/train/register_train.h"

namespace snpflow {
namespace {

NetConfig Config(NetConfig::Kind kind, int64_t snps, int64_t classes, bool decoder = false) {
  NetConfig c;
  c.kind = kind;
  c.n_snps = snps;
  c.n_classes = classes;
  c.hidden = 8;
  c.aux_hidden = 5;
  c.decoder = decoder;
  return c;
}

torch::Tensor Embedding(int64_t snps, int64_t classes) {
  return torch::rand({snps, 4 * classes});
}

TEST(GenotypeNet, DietNetGradientsReachTheAuxNetAndNoFreeFirstLayerExists) {
  torch::manual_seed(1);
  const int64_t s = 37, c = 3;
  GenotypeNet net(Config(NetConfig::Kind::kDietNet, s, c), SnpFeatures{Embedding(s, c)});
  torch::Tensor x = torch::randn({6, s});
  torch::Tensor y = torch::tensor({0, 1, 2, 0, 1, 2}, torch::kInt64);
  torch::nn::functional::cross_entropy(net->forward(x).logits, y).backward();
  auto params = net->named_parameters();
  for (const char* name : {"enc1.weight", "enc1.bias", "enc2.weight", "enc2.bias"}) {
    ASSERT_TRUE(params.contains(name)) << name;
    ASSERT_TRUE(params[name].grad().defined()) << name;
    EXPECT_GT(params[name].grad().abs().sum().item<double>(), 0) << name;
  }
  // W_enc is computed from the embedding, not a leaf: no parameter has S rows.
  for (const auto& p : params) EXPECT_NE(p.value().size(0), s) << p.key();
  torch::Tensor w = net->EncoderWeights();
  EXPECT_EQ(w.sizes(), (std::vector<int64_t>{s, 8}));
  EXPECT_FALSE(w.is_leaf());
  // The embedding is a buffer (saved with the model), never trained.
  EXPECT_TRUE(net->named_buffers().contains("embedding"));
  EXPECT_FALSE(net->named_buffers()["embedding"].requires_grad());
}

TEST(GenotypeNet, MlpTrainsAFreeFirstLayer) {
  torch::manual_seed(1);
  const int64_t s = 21, c = 4;
  GenotypeNet net(Config(NetConfig::Kind::kMlp, s, c), SnpFeatures{});
  torch::Tensor x = torch::randn({5, s});
  torch::Tensor y = torch::tensor({0, 1, 2, 3, 0}, torch::kInt64);
  torch::nn::functional::cross_entropy(net->forward(x).logits, y).backward();
  auto params = net->named_parameters();
  ASSERT_TRUE(params.contains("w"));
  EXPECT_EQ(params["w"].sizes(), (std::vector<int64_t>{s, 8}));
  EXPECT_TRUE(params["w"].is_leaf());
  EXPECT_GT(params["w"].grad().abs().sum().item<double>(), 0);
  EXPECT_FALSE(params.contains("enc1.weight"));
}

TEST(GenotypeNet, DecoderReconstructsInputAndGetsGradients) {
  torch::manual_seed(2);
  const int64_t s = 9, c = 2;
  GenotypeNet net(Config(NetConfig::Kind::kDietNet, s, c, /*decoder=*/true),
                  SnpFeatures{Embedding(s, c)});
  torch::Tensor x = torch::randn({4, s});
  auto out = net->forward(x);
  ASSERT_TRUE(out.reconstruction.defined());
  EXPECT_EQ(out.reconstruction.sizes(), (std::vector<int64_t>{4, s}));
  torch::mse_loss(out.reconstruction, x).backward();
  auto params = net->named_parameters();
  EXPECT_GT(params["dec1.weight"].grad().abs().sum().item<double>(), 0);
  EXPECT_GT(params["dec2.weight"].grad().abs().sum().item<double>(), 0);
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(net->forward(x).reconstruction.defined()) << "no reconstruction at evaluation";
}

TEST(GenotypeNet, ParameterCountsEqualTheFormulas) {
  const int64_t s = 101, c = 5;
  struct Case {
    NetConfig config;
    int64_t expected;
  };
  NetConfig diet = Config(NetConfig::Kind::kDietNet, s, c);
  NetConfig diet_dec = Config(NetConfig::Kind::kDietNet, s, c, true);
  NetConfig mlp = Config(NetConfig::Kind::kMlp, s, c);
  // By hand for H = 8, Ha = 5, C = 5: aux = (20*5+5) + (5*8+8) = 153;
  // tail = 16 + (64+8) + 16 + (40+5) = 149.
  EXPECT_EQ(DietNetParameterCount(s, c, 8, 5, false), 153 + 149);
  EXPECT_EQ(DietNetParameterCount(s, c, 8, 5, true), 2 * 153 + 149);
  EXPECT_EQ(MlpParameterCount(s, c, 8), 101 * 8 + 149);
  // Other embeddings change the aux nets' input width F; the linear path adds 1 + C.
  EXPECT_EQ(DietNetParameterCount(s, c, 8, 5, false, 7, true), (7 * 5 + 5) + 48 + 6 + 149);
  NetConfig diet_lin = Config(NetConfig::Kind::kDietNet, s, c);
  diet_lin.linear_path = true;
  diet_lin.embedding_cols = 7;
  for (const auto& [config, expected] :
       {Case{diet, 302}, Case{diet_dec, 455}, Case{mlp, 957}, Case{diet_lin, 243}}) {
    SnpFeatures f;
    if (config.kind == NetConfig::Kind::kDietNet)
      f.embedding = torch::rand({s, config.embedding_cols > 0 ? config.embedding_cols : 4 * c});
    if (config.linear_path) f.log_p = f.log_q = torch::full({s, c}, -0.5);
    EXPECT_EQ(GenotypeNet(config, f, torch::zeros({s}), torch::ones({s}))->NumParameters(),
              expected);
  }
  // The paper's basic MLP on 1000 Genomes (315,345 SNPs, 26 classes, H = 100): ~31.5M.
  EXPECT_EQ(MlpParameterCount(315345, 26, 100), 31534500 + 200 + 10100 + 200 + 2626);
  // ...and Diet Networks' parameters do not grow with S.
  EXPECT_EQ(DietNetParameterCount(315345, 26, 100, 100, false),
            DietNetParameterCount(10, 26, 100, 100, false));
}

// With the linear path and the tail's output at zero, a fresh net is naive Bayes: logits are
// t * sum_j [d_j log p_jc + (2 - d_j) log(1 - p_jc)] + 0, d_j the dosage x_j s_j + m_j.
TEST(GenotypeNet, LinearPathStartsAtNaiveBayes) {
  torch::manual_seed(4);
  const int64_t s = 6, c = 3;
  NetConfig config = Config(NetConfig::Kind::kDietNet, s, c);
  config.linear_path = true;
  torch::Tensor p = torch::rand({s, c}) * 0.8 + 0.1;
  SnpFeatures f{torch::rand({s, 4 * c}), torch::log(p), torch::log1p(-p)};
  torch::Tensor mean = torch::rand({s}) * 2, sd = torch::rand({s}) + 0.5;
  GenotypeNet net(config, f, mean, sd);
  net->SetTemperature(0.5);
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor d = torch::randint(0, 3, {4, s}).to(torch::kFloat32);
  torch::Tensor x = (d - mean) / sd;
  torch::Tensor expected =
      0.5 * (torch::matmul(d, torch::log(p)) + torch::matmul(2 - d, torch::log1p(-p)));
  EXPECT_TRUE(torch::allclose(net->forward(x).logits, expected, 1e-4, 1e-4))
      << net->forward(x).logits << expected;
}

TEST(GenotypeNet, MaxNormCapsEachUnitsIncomingWeights) {
  torch::manual_seed(5);
  GenotypeNet net(Config(NetConfig::Kind::kMlp, 50, 3), SnpFeatures{});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.mul_(100);
  }
  net->ApplyMaxNorm(1.0);
  auto params = net->named_parameters();
  EXPECT_LE(params["w"].norm(2, 0).max().item<double>(), 1.0 + 1e-5);
  EXPECT_LE(params["fc2.weight"].norm(2, 1).max().item<double>(), 1.0 + 1e-5);
  EXPECT_LE(params["out.weight"].norm(2, 1).max().item<double>(), 1.0 + 1e-5);
  EXPECT_GT(params["fc2.weight"].norm(2, 1).min().item<double>(), 0.99) << "rescaled, not zeroed";
}

TEST(GenotypeNet, ShapesForOddSnpCountsAndBatchSizes) {
  torch::manual_seed(3);
  for (int64_t s : {1, 5, 7, 1001}) {
    for (int64_t b : {2, 3, 7}) {
      for (auto kind : {NetConfig::Kind::kDietNet, NetConfig::Kind::kMlp}) {
        NetConfig cfg = Config(kind, s, 3, kind == NetConfig::Kind::kDietNet);
        GenotypeNet net(cfg, SnpFeatures{kind == NetConfig::Kind::kDietNet ? Embedding(s, 3)
                                                                       : torch::Tensor()});
        auto out = net->forward(torch::randn({b, s}));
        EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{b, 3})) << s << " " << b;
        net->eval();
        torch::NoGradGuard no_grad;
        EXPECT_EQ(net->forward(torch::randn({1, s})).logits.sizes(), (std::vector<int64_t>{1, 3}));
      }
    }
  }
}

}  // namespace
}  // namespace snpflow
