"""`/cps/simple/price`: fixed coin prices in the shape of CoinGecko's `simple/price`, as the web client asks
for them (`simple/price?ids=ethereum,golem&vs_currencies=<currency>`; docs/lifecycle.md §5.5)."""


def test_the_clients_query_gets_every_coin_in_its_currency(api, settings):
    for currency in ("usd", "aud", "eur", "jpy", "cny", "gbp"):  # the client's display currencies
        response = api.get(f"/cps/simple/price?ids=ethereum,golem&vs_currencies={currency}")
        assert response.status_code == 200
        assert response.json() == {coin: {currency: settings.COIN_PRICES[coin][currency]}
                                   for coin in ("ethereum", "golem")}
    assert api.get("/cps/simple/price?ids=ethereum,golem&vs_currencies=usd").content == (
        b'{"ethereum":{"usd":2500},"golem":{"usd":0.25}}')


def test_prices_come_from_the_setting_and_unknown_names_are_left_out(api, settings):
    settings.COIN_PRICES = {"ethereum": {"usd": 1234.5, "eur": 1000}, "golem": {"usd": 0.5}}
    response = api.get("/cps/simple/price?ids=GOLEM, bitcoin,ethereum&vs_currencies=usd,EUR,xyz")
    assert response.json() == {"golem": {"usd": 0.5}, "ethereum": {"usd": 1234.5, "eur": 1000}}
    assert api.get("/cps/simple/price?ids=bitcoin&vs_currencies=usd").json() == {}


def test_both_parameters_are_required(api, db):
    for query in ("", "?ids=ethereum", "?vs_currencies=usd", "?ids=,&vs_currencies=usd"):
        response = api.get("/cps/simple/price" + query)
        assert response.status_code == 400 and response.json()["errors"], query
