"""API tokens: whatever random characters a token carries, it authenticates; altered, it does not."""

from rumorcases.platforms import services


def test_every_token_authenticates_whatever_its_random_part(platform):
    # The random part is URL-safe base64 and often contains "_", the separator of the token's parts.
    tokens = [services.api_token_create(platform=platform, name=f"t{i}", scopes=["orders:read"], by=None,
                                        system=True) for i in range(40)]
    assert any("_" in plaintext.split("_", 2)[2] for _token, plaintext in tokens)
    for token, plaintext in tokens:
        assert services.api_token_authenticate(plaintext) == token
        assert services.api_token_authenticate(plaintext[:-1]) is None
        assert services.api_token_authenticate(plaintext + "_x") is None
