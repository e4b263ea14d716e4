import pytest

from octant.core.display import short_address, token_amount, wei_exact

ETH = 10**18


@pytest.mark.parametrize("wei, text", [
    (0, "0 ETH"), (ETH, "1 ETH"), (1234567 * ETH, "1,234,567 ETH"), (ETH + ETH // 3, "1.3333 ETH"),
    (ETH // 300, "0.003333 ETH"), (1, "0.000000000000000001 ETH"), (123456789, "0.0000000001235 ETH"),
    (-5 * ETH // 2, "-2.5 ETH"), (10**27 + 6 * 10**13, "1,000,000,000.0001 ETH"), (None, "—"),
])
def test_token_amount(wei, text):
    assert token_amount(wei) == text


def test_glm_symbol_exact_wei_and_short_address():
    assert token_amount(35_000 * ETH, "GLM") == "35,000 GLM"
    assert wei_exact(3 * ETH) == "3,000,000,000,000,000,000 wei"
    assert short_address("0x1111111111111111111111111111111111112222") == "0x1111…2222"
