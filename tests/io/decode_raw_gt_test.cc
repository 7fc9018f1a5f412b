// io::DecodeRawGt on hand-built FORMAT blocks: GT found among other fields and decoded, the last
// GT winning, and every malformed block reported (absent, corrupt, wrong size) without reading
// past its bytes. The whole-file differential tests are in tests/stages/bcf_raw_gt_test.cc.
#include "io/bcf_raw_gt.h"

#include <gtest/gtest.h>
#include <htslib/vcf.h>

#include <vector>

namespace snpflow::io {
namespace {

constexpr int kGt = 5, kDp = 6, kGl = 7;
constexpr size_t kSamples = 3;
constexpr uint8_t kRef = 2, kAlt = 4;
constexpr uint8_t kEnd = static_cast<uint8_t>(bcf_int8_vector_end);

// A FORMAT block built field by field: an int8 key, a type descriptor, then the values.
struct Block {
  std::vector<uint8_t> bytes;
  int n_fmt = 0;
  Block& Field(int key, int type, int count, std::vector<uint8_t> values) {
    bytes.push_back(0x11);  // typed int8, one value
    bytes.push_back(static_cast<uint8_t>(key));
    if (count < 15) {
      bytes.push_back(static_cast<uint8_t>(count << 4 | type));
    } else {  // count 15: the count follows as a typed integer
      bytes.push_back(static_cast<uint8_t>(15 << 4 | type));
      bytes.push_back(0x11);
      bytes.push_back(static_cast<uint8_t>(count));
    }
    bytes.insert(bytes.end(), values.begin(), values.end());
    ++n_fmt;
    return *this;
  }
  RawGtDecode Decode(std::vector<uint8_t>* codes, HaploidRule rule = HaploidRule::kHom) const {
    codes->assign(kSamples, 0xEE);
    // An exact-size heap copy: ASan reports any read past the block.
    std::vector<uint8_t> exact(bytes);
    return DecodeRawGt(exact.data(), exact.size(), n_fmt, kSamples, kGt, /*n_allele=*/2, rule,
                       codes->data());
  }
};

// 0/0, 0/1, 1/1.
const std::vector<uint8_t> kCalls = {kRef, kRef, kRef, kAlt, kAlt, kAlt};
const std::vector<uint8_t> kDepths = {10, 0, 20, 0, 30, 0};  // int16, little-endian

TEST(DecodeRawGt, FindsGtAmongOtherFieldsAndDecodesIt) {
  std::vector<uint8_t> codes;
  Block b;
  b.Field(kDp, BCF_BT_INT16, 1, kDepths)
      .Field(kGl, BCF_BT_FLOAT, 3, std::vector<uint8_t>(kSamples * 12, 0))
      .Field(kGt, BCF_BT_INT8, 2, kCalls);
  RawGtDecode d = b.Decode(&codes);
  ASSERT_EQ(d.status, RawGtStatus::kDecoded);
  EXPECT_EQ(d.result.skip, nullptr);
  EXPECT_EQ(codes, (std::vector<uint8_t>{0, 1, 2}));
}

TEST(DecodeRawGt, TheLastGtFieldWinsAsWithBcfUnpack) {
  std::vector<uint8_t> codes;
  Block b;
  b.Field(kGt, BCF_BT_INT8, 2, {kAlt, kAlt, kAlt, kAlt, kAlt, kAlt}).Field(kGt, BCF_BT_INT8, 2, kCalls);
  ASSERT_EQ(b.Decode(&codes).status, RawGtStatus::kDecoded);
  EXPECT_EQ(codes, (std::vector<uint8_t>{0, 1, 2}));
}

TEST(DecodeRawGt, ACountWrittenAsATypedIntegerAndWideValues) {
  std::vector<uint8_t> codes;
  // A GL with 15 values per sample (the count after the descriptor), then an int16 GT.
  Block b;
  b.Field(kGl, BCF_BT_FLOAT, 15, std::vector<uint8_t>(kSamples * 60, 0))
      .Field(kGt, BCF_BT_INT16, 2, {kRef, 0, kAlt, 0, kAlt, 0, kAlt, 0, 0, 0, 0, 0});
  ASSERT_EQ(b.Decode(&codes).status, RawGtStatus::kDecoded);
  EXPECT_EQ(codes, (std::vector<uint8_t>{1, 2, 3}));  // 0/1, 1/1, ./.
}

TEST(DecodeRawGt, HaploidCallsFollowTheRule) {
  std::vector<uint8_t> codes;
  Block b;
  b.Field(kGt, BCF_BT_INT8, 2, {kAlt, kEnd, kRef, kRef, kRef, kEnd});
  RawGtDecode d = b.Decode(&codes, HaploidRule::kHom);
  ASSERT_EQ(d.status, RawGtStatus::kDecoded);
  EXPECT_EQ(d.result.haploid_calls, 2u);
  EXPECT_EQ(codes, (std::vector<uint8_t>{2, 0, 0}));
  d = b.Decode(&codes, HaploidRule::kSkipRecord);
  ASSERT_EQ(d.status, RawGtStatus::kDecoded);
  EXPECT_STREQ(d.result.skip, kSkipHaploid);
}

TEST(DecodeRawGt, NoGtFieldIsAbsent) {
  std::vector<uint8_t> codes;
  Block b;
  b.Field(kDp, BCF_BT_INT16, 1, kDepths);
  EXPECT_EQ(b.Decode(&codes).status, RawGtStatus::kAbsent);
  EXPECT_EQ(Block().Decode(&codes).status, RawGtStatus::kAbsent);
}

TEST(DecodeRawGt, FieldsThatDoNotFitAreCorrupt) {
  std::vector<uint8_t> codes;
  Block whole;
  whole.Field(kDp, BCF_BT_INT16, 1, kDepths).Field(kGt, BCF_BT_INT8, 2, kCalls);
  // Every cut of the block short of its end: a field (or its key, or its descriptor) is cut.
  for (size_t cut = 1; cut < whole.bytes.size(); ++cut) {
    Block b = whole;
    b.bytes.resize(cut);
    EXPECT_EQ(b.Decode(&codes).status, RawGtStatus::kCorrupt) << "cut at " << cut;
  }
  // A value type FORMAT cannot have (4 is unassigned in BCF).
  Block bad_type;
  bad_type.Field(kDp, 4, 1, kDepths).Field(kGt, BCF_BT_INT8, 2, kCalls);
  EXPECT_EQ(bad_type.Decode(&codes).status, RawGtStatus::kCorrupt);
  // More fields claimed than present.
  Block extra = whole;
  extra.n_fmt = 3;
  EXPECT_EQ(extra.Decode(&codes).status, RawGtStatus::kCorrupt);
  // A key that is not a typed integer.
  Block bad_key = whole;
  bad_key.bytes[0] = 0x17;  // a char, not an integer
  EXPECT_EQ(bad_key.Decode(&codes).status, RawGtStatus::kCorrupt);
}

TEST(DecodeRawGt, GtValuesThatCannotHoldACallAreASizeMismatch) {
  std::vector<uint8_t> codes;
  Block floats;
  floats.Field(kGt, BCF_BT_FLOAT, 1, std::vector<uint8_t>(kSamples * 4, 0));
  EXPECT_EQ(floats.Decode(&codes).status, RawGtStatus::kSizeMismatch);
  Block empty;
  empty.Field(kGt, BCF_BT_INT8, 0, {});
  EXPECT_EQ(empty.Decode(&codes).status, RawGtStatus::kSizeMismatch);
  EXPECT_EQ(codes, std::vector<uint8_t>(kSamples, 0xEE));  // nothing written
}

}  // namespace
}  // namespace snpflow::io
