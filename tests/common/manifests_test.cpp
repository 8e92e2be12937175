#include "pod_identity_webhook/common/manifests.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace piw::manifests {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Json parse_single(const std::string& text) {
    auto documents = parse_documents(text);
    EXPECT_TRUE(documents.ok()) << documents.error() << "\n--- input ---\n" << text;
    if (!documents.ok() || documents->size() != 1) {
        ADD_FAILURE() << "expected exactly one document in:\n" << text;
        return nullptr;
    }
    return documents->front().value;
}

// ----------------------------------------------------------------------------------------------
// Plain scalars are typed like kubectl (sigs.k8s.io/yaml → go-yaml v2); quoted ones are strings.

struct ScalarCase {
    std::string yaml;  // the value as written after "v: "
    Json expected;
};

class ScalarTyping : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(ScalarTyping, MatchesKubectl) {
    const ScalarCase& c = GetParam();
    const Json value = parse_single("v: " + c.yaml + "\n");
    ASSERT_TRUE(value.is_object());
    const Json& actual = value.at("v");
    EXPECT_EQ(actual.type(), c.expected.type()) << "v: " << c.yaml << " → " << actual.dump();
    EXPECT_EQ(actual, c.expected) << "v: " << c.yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Manifests, ScalarTyping,
    ::testing::Values(
        // null
        ScalarCase{"", nullptr}, ScalarCase{"~", nullptr}, ScalarCase{"null", nullptr},
        ScalarCase{"Null", nullptr}, ScalarCase{"NULL", nullptr}, ScalarCase{"nUll", "nUll"},
        // booleans, YAML 1.1 style as go-yaml v2 reads them
        ScalarCase{"true", true}, ScalarCase{"True", true}, ScalarCase{"TRUE", true},
        ScalarCase{"yes", true}, ScalarCase{"Yes", true}, ScalarCase{"YES", true},
        ScalarCase{"on", true}, ScalarCase{"On", true}, ScalarCase{"ON", true},
        ScalarCase{"y", true}, ScalarCase{"Y", true}, ScalarCase{"false", false},
        ScalarCase{"False", false}, ScalarCase{"FALSE", false}, ScalarCase{"no", false},
        ScalarCase{"No", false}, ScalarCase{"NO", false}, ScalarCase{"off", false},
        ScalarCase{"Off", false}, ScalarCase{"OFF", false}, ScalarCase{"n", false},
        ScalarCase{"N", false}, ScalarCase{"tRUE", "tRUE"}, ScalarCase{"yES", "yES"},
        // integers: decimal, signs, prefixes, leading-zero octal, '_' separators
        ScalarCase{"0", 0}, ScalarCase{"42", 42}, ScalarCase{"-42", -42}, ScalarCase{"+42", 42},
        ScalarCase{"0123", 83}, ScalarCase{"0x1F", 31}, ScalarCase{"0X1f", 31},
        ScalarCase{"0o17", 15}, ScalarCase{"0b101", 5}, ScalarCase{"-0x10", -16},
        ScalarCase{"1_000", 1000},
        ScalarCase{"9223372036854775807", std::numeric_limits<std::int64_t>::max()},
        ScalarCase{"-9223372036854775808", std::numeric_limits<std::int64_t>::min()},
        ScalarCase{"9223372036854775808", std::uint64_t{9223372036854775808U}},
        ScalarCase{"18446744073709551616", 18446744073709551616.0},
        // floats
        ScalarCase{"1.5", 1.5}, ScalarCase{"1e3", 1000.0}, ScalarCase{"1E3", 1000.0},
        ScalarCase{"-1.5e-2", -0.015}, ScalarCase{".5", 0.5}, ScalarCase{"-.5", -0.5},
        ScalarCase{"+.5", 0.5}, ScalarCase{"1.", 1.0}, ScalarCase{"089", 89.0},
        ScalarCase{".inf", std::numeric_limits<double>::infinity()},
        ScalarCase{"-.Inf", -std::numeric_limits<double>::infinity()},
        ScalarCase{"+.INF", std::numeric_limits<double>::infinity()},
        // strings that only look numeric or special
        ScalarCase{"1e400", "1e400"}, ScalarCase{"2001-12-14", "2001-12-14"},
        ScalarCase{"1.2.3", "1.2.3"}, ScalarCase{"0x", "0x"}, ScalarCase{"+", "+"},
        ScalarCase{".", "."}, ScalarCase{"0xG", "0xG"}, ScalarCase{"12abc", "12abc"},
        ScalarCase{"<<", "<<"},
        ScalarCase{"arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/x"},
        // quoted and tagged scalars
        ScalarCase{"'true'", "true"}, ScalarCase{"\"0123\"", "0123"}, ScalarCase{"'null'", "null"},
        ScalarCase{"\"\"", ""}, ScalarCase{"''", ""}, ScalarCase{"\"1e3\"", "1e3"},
        ScalarCase{"!!str 123", "123"}, ScalarCase{"!!str true", "true"},
        ScalarCase{"!!int \"12\"", 12}, ScalarCase{"!!float 1", 1.0},
        ScalarCase{"!!bool yes", true}, ScalarCase{"!custom 12", "12"},
        ScalarCase{"|\n  12\n", "12\n"}, ScalarCase{">-\n  folded\n  text\n", "folded text"}));

TEST(ManifestsTest, NanIsAFloat) {
    const Json value = parse_single("v: .NaN\n");
    ASSERT_TRUE(value.at("v").is_number_float());
    EXPECT_TRUE(std::isnan(value.at("v").get<double>()));
}

TEST(ManifestsTest, TagThatDoesNotFitTheValueIsAnError) {
    const auto documents = parse_documents("a: 1\nb: !!int abc\n");
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("document 1, line 2, column 4"));
    EXPECT_THAT(documents.error(), HasSubstr("!!int `abc`"));
}

// ----------------------------------------------------------------------------------------------
// Mapping keys.

TEST(ManifestsTest, NonStringKeysBecomeStringsAndOrderIsKept) {
    const Json value = parse_single(
        "zeta: 1\n1: int\ntrue: bool\n0x10: hex\n1.5: float\n1000000.0: big\n\"3\": quoted\n"
        "alpha: 2\n");
    std::vector<std::string> keys;
    for (const auto& [key, item] : value.items()) {
        keys.push_back(key);
    }
    EXPECT_EQ(keys,
              (std::vector<std::string>{"zeta", "1", "true", "16", "1.5", "1e+06", "3", "alpha"}));
    EXPECT_EQ(value.at("16"), "hex");
}

TEST(ManifestsTest, DuplicateKeysLastWins) {
    EXPECT_EQ(parse_single("a: 1\nb: 2\na: 3\n"), Json::parse(R"({"a":3,"b":2})"));
}

TEST(ManifestsTest, NullAndCollectionKeysAreErrors) {
    for (const std::string text : {"~: x\n", "[a, b]: x\n", "? {a: 1}\n: x\n"}) {
        const auto documents = parse_documents(text);
        ASSERT_FALSE(documents.ok()) << text;
        EXPECT_THAT(documents.error(), HasSubstr("unsupported map key")) << text;
    }
}

// ----------------------------------------------------------------------------------------------
// Anchors, aliases, merge keys and the limits that keep them safe.

TEST(ManifestsTest, AnchorsAliasesAndMergeKeysAreResolved) {
    const Json value = parse_single(
        "base: &base\n  image: nginx\n  pull: Always\nlabels: &labels {app: web}\n"
        "one:\n  <<: *base\n  pull: Never\ntwo:\n  <<: [*labels, {app: other, tier: db}]\n"
        "copy: *labels\n");
    EXPECT_EQ(value.at("one"), Json::parse(R"({"image":"nginx","pull":"Never"})"));
    EXPECT_EQ(value.at("two"), Json::parse(R"({"app":"web","tier":"db"})"));
    EXPECT_EQ(value.at("copy"), Json::parse(R"({"app":"web"})"));
}

TEST(ManifestsTest, QuotedMergeKeyIsAnOrdinaryKey) {
    EXPECT_EQ(parse_single("'<<': {a: 1}\n"), Json::parse(R"({"<<":{"a":1}})"));
}

TEST(ManifestsTest, MergeOfAScalarIsAnError) {
    const auto documents = parse_documents("a:\n  <<: 3\n");
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("map merge requires map"));
}

TEST(ManifestsTest, RecursiveAliasIsRefused) {
    const auto documents = parse_documents("a: &a [*a]\n");
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("recursive alias"));
}

TEST(ManifestsTest, BillionLaughsIsRefused) {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 10; ++i) {
        const std::string previous = "*a" + std::to_string(i - 1);
        text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            text += previous + (j < 9 ? ", " : "");
        }
        text += "]\n";
    }
    const auto documents = parse_documents(text);
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("too many nodes"));
}

TEST(ManifestsTest, AliasBudgetIsSharedByAllDocumentsOfAStream) {
    // Each document alone stays under the limit; together they do not.
    std::string document = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 5; ++i) {
        const std::string previous = "*a" + std::to_string(i - 1);
        document += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            document += previous + (j < 9 ? ", " : "");
        }
        document += "]\n";
    }
    ASSERT_TRUE(parse_documents(document).ok());
    std::string stream;
    for (int i = 0; i < 30; ++i) {
        stream += document + "---\n";
    }
    const auto documents = parse_documents(stream);
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("too many nodes"));
}

TEST(ManifestsTest, DeepNestingIsRefusedInYamlAndJson) {
    const std::string yaml = std::string(300, '[') + std::string(300, ']');
    const auto from_flow = parse_documents("a: " + yaml + "\n");
    ASSERT_FALSE(from_flow.ok());
    EXPECT_THAT(from_flow.error(), HasSubstr("nesting deeper than 256"));
    const auto from_json = parse_json(yaml);
    ASSERT_FALSE(from_json.ok());
    EXPECT_THAT(from_json.error(), HasSubstr("nesting deeper than 256"));
    EXPECT_TRUE(parse_json(std::string(200, '[') + std::string(200, ']')).ok());
}

TEST(ManifestsTest, OversizedInputIsRefused) {
    const std::string text(kMaxManifestBytes + 1, ' ');
    const auto documents = parse_documents(text);
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("larger than 64 MiB"));
}

// ----------------------------------------------------------------------------------------------
// Multi-document streams.

TEST(ManifestsTest, SplitsDocumentsAndKeepsEachSource) {
    const std::string text =
        "# leading comment\n---\napiVersion: v1\nkind: ServiceAccount\n---\n"
        "kind: ConfigMap # trailing comment\n...\n---\n\n---\n--- ~\n--- |\n  literal\n";
    const auto documents = parse_documents(text);
    ASSERT_TRUE(documents.ok()) << documents.error();
    ASSERT_EQ(documents->size(), 4U);
    EXPECT_EQ((*documents)[0].value, Json::parse(R"({"apiVersion":"v1","kind":"ServiceAccount"})"));
    EXPECT_EQ((*documents)[0].source, "# leading comment\napiVersion: v1\nkind: ServiceAccount\n");
    EXPECT_EQ((*documents)[1].value, Json::parse(R"({"kind":"ConfigMap"})"));
    EXPECT_EQ((*documents)[1].source, "kind: ConfigMap # trailing comment\n");
    EXPECT_TRUE((*documents)[2].value.is_null());
    EXPECT_EQ((*documents)[3].value, "literal\n");
    EXPECT_EQ((*documents)[3].source, "|\n  literal\n");
}

TEST(ManifestsTest, SeparatorsWithCarriageReturnsAndIndentedDashesInsideBlocks) {
    const auto documents =
        parse_documents("a: 1\r\n---\r\nb: |\r\n  text\r\n   ---\r\n  more\r\n---\r\nc: 3\r\n");
    ASSERT_TRUE(documents.ok()) << documents.error();
    ASSERT_EQ(documents->size(), 3U);
    EXPECT_EQ((*documents)[1].value.at("b"), "text\n ---\nmore\n");
    EXPECT_EQ((*documents)[2].value.at("c"), 3);
}

TEST(ManifestsTest, EmptyStreamHasNoDocuments) {
    for (const std::string text : {"", "\n\n", "# only a comment\n", "---\n---\n"}) {
        const auto documents = parse_documents(text);
        ASSERT_TRUE(documents.ok()) << text;
        EXPECT_TRUE(documents->empty()) << text;
    }
}

TEST(ManifestsTest, ErrorNamesDocumentAndAbsoluteLine) {
    const auto documents = parse_documents("a: 1\n---\nb: 2\n---\nc: [1,\nd: 2\n");
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), StartsWith("document 3, line "));
    EXPECT_THAT(documents.error(), HasSubstr("end of sequence flow not found"));
    const auto mapping_error = parse_documents("a: 1\n---\nkind: x\n  bad: indent\n");
    ASSERT_FALSE(mapping_error.ok());
    EXPECT_THAT(mapping_error.error(), StartsWith("document 2, line 4, column"));
}

// ----------------------------------------------------------------------------------------------
// JSON input.

TEST(ManifestsTest, JsonDocumentKeepsKeyOrderAndTypes) {
    const std::string text =
        "\xEF\xBB\xBF  {\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"n\":1.0,"
        "\"s\":\"0123\",\"list\":[true,null]}\n";
    const auto documents = parse_documents(text);
    ASSERT_TRUE(documents.ok()) << documents.error();
    ASSERT_EQ(documents->size(), 1U);
    const Json& value = documents->front().value;
    EXPECT_EQ(value.begin().key(), "kind");
    EXPECT_EQ(value.at("s"), "0123");
    EXPECT_TRUE(value.at("n").is_number_float());
    EXPECT_EQ(value.at("list"), Json::parse("[true,null]"));
}

TEST(ManifestsTest, JsonDocumentsSeparatedByDashesAndFlowYamlAreRead) {
    const auto stream = parse_documents("{\"a\": 1}\n---\n{\"b\": 2}\n");
    ASSERT_TRUE(stream.ok()) << stream.error();
    ASSERT_EQ(stream->size(), 2U);
    EXPECT_EQ((*stream)[1].value, Json::parse(R"({"b":2})"));
    const auto flow = parse_documents("{a: yes, b: [x, 1]}");
    ASSERT_TRUE(flow.ok()) << flow.error();
    EXPECT_EQ(flow->front().value, Json::parse(R"({"a":true,"b":["x",1]})"));
}

TEST(ManifestsTest, InvalidJsonReportsWhere) {
    const auto documents = parse_documents("{\n  \"a\": 1,\n  \"b\": [}\n");
    ASSERT_FALSE(documents.ok());
    EXPECT_THAT(documents.error(), HasSubstr("line 3, column"));
    const auto json = parse_json("{\"a\": 1} x");
    ASSERT_FALSE(json.ok());
    EXPECT_THAT(json.error(), HasSubstr("line 1, column"));
}

// ----------------------------------------------------------------------------------------------
// Files and Lists.

class ManifestFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ =
            std::filesystem::temp_directory_path() /
            ("piw-manifests-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory_);
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::string write(const std::string& name, const std::string& content) {
        const auto path = directory_ / name;
        std::ofstream(path, std::ios::binary) << content;
        return path.string();
    }
    std::filesystem::path directory_;
};

TEST_F(ManifestFileTest, LoadsAFile) {
    const auto documents = load_file(write("sa.yaml", "kind: ServiceAccount\n---\nkind: Pod\n"));
    ASSERT_TRUE(documents.ok()) << documents.error();
    EXPECT_EQ(documents->size(), 2U);
}

TEST_F(ManifestFileTest, ErrorsNameTheFile) {
    const std::string missing = (directory_ / "missing.yaml").string();
    const auto not_found = load_file(missing);
    ASSERT_FALSE(not_found.ok());
    EXPECT_EQ(not_found.error(), missing + ": No such file or directory");

    const auto directory = load_file(directory_.string());
    ASSERT_FALSE(directory.ok());
    EXPECT_THAT(directory.error(), StartsWith(directory_.string() + ": "));

    const std::string bad = write("bad.yaml", "a: [\n");
    const auto invalid = load_file(bad);
    ASSERT_FALSE(invalid.ok());
    EXPECT_THAT(invalid.error(), StartsWith(bad + ": document 1, line"));
}

TEST(ManifestsTest, FlattenListsExpandsItemsAndDropsEmptyDocuments) {
    const auto documents = parse_documents(
        "apiVersion: v1\nkind: List\nitems:\n- kind: A\n- kind: B\n---\n~\n---\nkind: C\n---\n"
        "kind: List\nitems: not-a-list\n");
    ASSERT_TRUE(documents.ok()) << documents.error();
    const std::vector<Json> values = flatten_lists(*documents);
    ASSERT_EQ(values.size(), 4U);
    EXPECT_EQ(values[0].at("kind"), "A");
    EXPECT_EQ(values[1].at("kind"), "B");
    EXPECT_EQ(values[2].at("kind"), "C");
    EXPECT_EQ(values[3].at("items"), "not-a-list");
}

// ----------------------------------------------------------------------------------------------
// YAML output.

TEST(ManifestsTest, ToYamlUsesKubectlLayout) {
    const Json pod = Json::parse(R"({
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
      "spec": {
        "containers": [
          {"name": "app", "image": "nginx:1.25", "args": ["--port=8080", "-v"],
           "env": [{"name": "AWS_REGION", "value": "us-west-2"}],
           "ports": [{"containerPort": 8080}]}
        ],
        "volumes": [],
        "nested": [[1, 2], []]
      }
    })");
    EXPECT_EQ(to_yaml(pod),
              "apiVersion: v1\n"
              "kind: Pod\n"
              "metadata:\n"
              "  name: web\n"
              "  labels:\n"
              "    app: web\n"
              "  annotations: {}\n"
              "spec:\n"
              "  containers:\n"
              "  - name: app\n"
              "    image: nginx:1.25\n"
              "    args:\n"
              "    - --port=8080\n"
              "    - -v\n"
              "    env:\n"
              "    - name: AWS_REGION\n"
              "      value: us-west-2\n"
              "    ports:\n"
              "    - containerPort: 8080\n"
              "  volumes: []\n"
              "  nested:\n"
              "  - - 1\n"
              "    - 2\n"
              "  - []\n");
}

TEST(ManifestsTest, ToYamlQuotesWhatWouldChangeType) {
    const Json value = Json::parse(
        R"({"a":"true","b":"0123","c":"1e3","d":"null","e":"","f":"a: b","g":"- x","h":" pad",
            "i":"y","j":"~","k":"<<","l":"#x","m":"x #y","n":"ok: ","o":"tab\there"})");
    EXPECT_EQ(to_yaml(value),
              "a: \"true\"\nb: \"0123\"\nc: \"1e3\"\nd: \"null\"\ne: \"\"\nf: \"a: b\"\n"
              "g: \"- x\"\nh: \" pad\"\ni: \"y\"\nj: \"~\"\nk: \"<<\"\nl: \"#x\"\nm: \"x #y\"\n"
              "\"n\": \"ok: \"\no: \"tab\\there\"\n");  // a plain n would read back as false
}

TEST(ManifestsTest, ToYamlMultiLineStrings) {
    const Json value = Json::parse(R"({"clip":"line one\nline two\n","strip":"a\nb",
        "keep":"a\n\n","lead":"  indented\nx","cr":"a\r\nb","blank":"a\n\nb\n"})");
    EXPECT_EQ(to_yaml(value),
              "clip: |\n  line one\n  line two\n"
              "strip: |-\n  a\n  b\n"
              "keep: |+\n  a\n\n"
              "lead: \"  indented\\nx\"\n"
              "cr: \"a\\r\\nb\"\n"
              "blank: |\n  a\n\n  b\n");
}

// parse(to_yaml(x)) == x over realistic manifests and awkward scalars.
class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, ParseOfToYamlGivesBackTheValue) {
    const Json original = Json::parse(GetParam());
    const std::string yaml = to_yaml(original);
    const auto documents = parse_documents(yaml);
    ASSERT_TRUE(documents.ok()) << documents.error() << "\n" << yaml;
    ASSERT_EQ(documents->size(), 1U) << yaml;
    EXPECT_EQ(documents->front().value, original) << yaml;
    EXPECT_EQ(documents->front().value.dump(), original.dump()) << yaml;  // key order too
}

INSTANTIATE_TEST_SUITE_P(
    Manifests, RoundTrip,
    ::testing::Values(
        R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"payments",
            "annotations":{"eks.amazonaws.com/skip-containers":"sidecar,\"a,b\"","note":"a: b"}},
            "spec":{"replicas":3,"template":{"spec":{"serviceAccountName":"api","containers":[
            {"name":"api","image":"example.com/api:1.0","command":["/bin/sh","-c","echo hi && sleep 1"],
             "env":[{"name":"X","value":"true"},{"name":"Y","value":"0123"},{"name":"Z","value":""}],
             "resources":{"limits":{"cpu":"500m","memory":"1Gi"}}}]}}}})",
        R"({"scalars":["true","false","yes","no","on","off","y","n","Y","N","null","Null","~","",
            "0123","0x1F","0o7","0b1","1e3","1E3",".5","-.5","1.","1_000","+1","-1",".inf","-.inf",
            ".nan","2001-12-14","1.2.3","a: b","- x","-","--","---","...","? x",": x","x:",
            "[a]","{a}","a,b","*ref","&anchor","!tag","|","|-",">","%x","@x","`x","'q'","\"dq\"",
            "#c","a #c","a# c","<<"," lead","trail ","\t","é ü 日本語","emoji 🙂","\\backslash",
            "\u0007bell","\u2028sep","\u0085nel","\ufeffbom","http://example.com:80/x?y=z#frag"]})",
        R"({"multi":["a\nb","a\nb\n","a\nb\n\n","\na","\n\na\n"," a\nb","a\n b","a\n\tb",
            "\n","\n\n","a\r\nb","tab\tin\nline","trailing \nspaces  \n","# not a comment\nx",
            "--- not a marker\n... nor this\n","日本\n語\n"]})",
        R"({"numbers":[0,-1,9223372036854775807,-9223372036854775808,18446744073709551615,
            1.5,-0.0,1e300,1e-300,0.1,100.0]})",
        R"({"empty":{},"list":[],"nested":[[],[[]],{},[{}]],"null":null,"t":true,"f":false})",
        R"({"keys":{"true":1,"0123":2,"":3,"a: b":4,"- x":5,"<<":6,"multi\nline":7,"日本":8,
            " ":9,"null":10,"1.5":11}})",
        R"({"seq_of_maps":[{"a":1,"b":[{"c":{"d":[1,{"e":"f"}]}}]},{"x":{"y":{}}}]})",
        R"({"containers":[{"name":"sh","command":["sh","-c","set -e\necho one\n  echo two\n"],
            "script":"#!/bin/sh\nexit 0\n"}],"top":["a\nb",["c\nd\n"]]})",
        R"("just a string")", R"("multi\nline top level\n")", R"(42)", R"(null)", R"([])", R"({})",
        R"([[["deep"]]])"));

}  // namespace
}  // namespace piw::manifests
