// The flag grammar of the `oidc` subcommands (src/cli/oidc/arguments.hpp).

#include "cli/oidc/arguments.hpp"

#include <gtest/gtest.h>

namespace piw::cli::oidc_cli {
namespace {

const std::vector<FlagSpec> kSpecs = with_common_flags(
    {{"issuer"}, {"from-key", true, true, true}, {"namespace", true, true}, {"no-aud", false}});

Result<Arguments> parse(std::vector<std::string> args) {
    return Arguments::parse(args, kSpecs);
}

TEST(OidcArguments, LongFormsShortOutputAndBooleans) {
    auto parsed = parse({"--issuer", "https://a", "-o", "json", "--no-aud", "--strict"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->value("issuer"), "https://a");
    EXPECT_EQ(parsed->value("output"), "json");
    EXPECT_TRUE(parsed->has("no-aud"));
    EXPECT_TRUE(parsed->has("strict"));
    EXPECT_FALSE(parsed->has("help"));
    EXPECT_EQ(parsed->value("missing", "fallback"), "fallback");

    auto inline_value = parse({"--issuer=https://b=c"});
    ASSERT_TRUE(inline_value.ok());
    EXPECT_EQ(inline_value->value("issuer"), "https://b=c");  // only the first '=' splits
}

TEST(OidcArguments, GreedyFlagTakesShellGlobsAndRepeatsAccumulate) {
    auto parsed = parse({"--from-key", "a.pem", "b.pem", "--namespace", "x", "--from-key=c.pem",
                         "--namespace", "y"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->values("from-key"), (std::vector<std::string>{"a.pem", "b.pem", "c.pem"}));
    EXPECT_EQ(parsed->values("namespace"), (std::vector<std::string>{"x", "y"}));
}

TEST(OidcArguments, DashIsAValueNotAFlag) {
    auto parsed = parse({"--issuer", "-"});
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->value("issuer"), "-");
}

TEST(OidcArguments, MistakesAreNamed) {
    EXPECT_EQ(parse({"--isuer", "x"}).error(), "unknown flag --isuer");
    EXPECT_EQ(parse({"--issuer"}).error(), "--issuer needs a value");
    EXPECT_EQ(parse({"--issuer", "--no-aud"}).error(), "--issuer needs a value");
    EXPECT_EQ(parse({"--issuer", "a", "--issuer", "b"}).error(), "--issuer given more than once");
    EXPECT_EQ(parse({"--no-aud=true"}).error(), "--no-aud takes no value");
    EXPECT_EQ(parse({"stray"}).error(), "unexpected argument \"stray\"");
    EXPECT_EQ(parse({"--", "x"}).error(), "unexpected argument \"x\"");
}

}  // namespace
}  // namespace piw::cli::oidc_cli
