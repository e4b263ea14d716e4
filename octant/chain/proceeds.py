"""Mainnet staking proceeds from Etherscan and Bitquery (docs/lifecycle.md §5.2): the WithdrawalsTarget's normal
and internal transactions, beacon-chain withdrawals and block rewards over the epoch's block range, summed by
`proceeds_engine` (docs/rewards.md §3.1.1). Transient failures (timeouts, 429, 5xx) are retried with backoff,
then raise."""
import logging
import time

import requests
from django.conf import settings

from octant.chain import proceeds_engine
from octant.core.exceptions import ChainUnavailable

logger = logging.getLogger(__name__)

ETHERSCAN_PAGE = 10_000


def _request(method: str, url: str, *, timeout: float, **kwargs) -> dict:
    for attempt in range(settings.PROCEEDS_RETRIES + 1):
        try:
            response = requests.request(method, url, timeout=timeout, **kwargs)
            if response.status_code == 429 or response.status_code >= 500:
                raise requests.HTTPError(f"HTTP {response.status_code}", response=response)
            response.raise_for_status()
            return response.json()
        except (requests.Timeout, requests.ConnectionError, requests.HTTPError, ValueError) as exc:
            transient = not isinstance(exc, (requests.HTTPError, ValueError)) or (
                exc.response is not None and (exc.response.status_code == 429 or exc.response.status_code >= 500))
            if not transient or attempt == settings.PROCEEDS_RETRIES:
                raise ChainUnavailable(f"{url}: {exc}") from exc
            time.sleep(settings.PROCEEDS_BACKOFF * 2**attempt)


def _etherscan(**params) -> dict:
    body = _request("GET", settings.ETHERSCAN_URL, timeout=settings.ETHERSCAN_TIMEOUT,
                    params={"chainid": 1, "apikey": settings.ETHERSCAN_API_KEY, **params})
    if params.get("module") == "account" and body.get("message") not in ("OK", "No transactions found"):
        raise ChainUnavailable(f"etherscan {params.get('action')}: {body.get('message')} {body.get('result')}")
    return body


def block_by_time(timestamp: int) -> int:
    return int(_etherscan(module="block", action="getblocknobytime", timestamp=timestamp, closest="before")["result"])


def transactions(action: str, address: str, start_block: int, end_block: int) -> list[dict]:
    """Every `action` record of `address` in the block range; a full page restarts at its last block (the
    overlap is removed by the callers' de-duplication)."""
    records = []
    while True:
        body = _etherscan(module="account", action=action, address=address.lower(), startblock=start_block,
                          endblock=end_block, sort="asc")
        page = body.get("result") or []
        records += page
        if len(page) < ETHERSCAN_PAGE:
            return records
        next_start = int(page[-1]["blockNumber"])
        if next_start == start_block:
            return records  # a single block fills a page: nothing more to ask for
        start_block = next_start


def block_rewards(address: str, start_block: int, end_block: int) -> float:
    query = ("query ($address: String!, $from: String!, $to: String!) { EVM(dataset: combined, network: eth) { "
             "MinerRewards(where: {Block: {Coinbase: {is: $address}, Number: {ge: $from, le: $to}}}) "
             "{ sum(of: Reward_Total) } } }")
    body = _request("POST", settings.BITQUERY_URL, timeout=settings.BITQUERY_TIMEOUT,
                    json={"query": query, "variables": {"address": address.lower(), "from": str(start_block),
                                                        "to": str(end_block)}},
                    headers={"X-API-KEY": settings.BITQUERY_API_KEY,
                             "Authorization": f"Bearer {settings.BITQUERY_BEARER}"})
    if body.get("errors"):
        raise ChainUnavailable(f"bitquery: {body['errors']}")
    rewards = body["data"]["EVM"]["MinerRewards"]
    return float((rewards[0]["sum"] if rewards else 0) or 0)  # a float ETH amount, as the reference reads it


def mainnet_proceeds(address: str, *, start: int, end: int) -> int:
    """Proceeds of the WithdrawalsTarget `address` between the Unix times `start` and `end`: the records read
    here, summed by `proceeds_engine.mainnet_staking_proceeds`."""
    start_block, end_block = block_by_time(start), block_by_time(end) - 1
    return proceeds_engine.mainnet_staking_proceeds(
        normal_txs=transactions("txlist", address, start_block, end_block),
        internal_txs=transactions("txlistinternal", address, start_block, end_block),
        withdrawals=transactions("txsBeaconWithdrawal", address, start_block, end_block),
        block_rewards_eth=block_rewards(address, start_block, end_block),
        withdrawals_target=address,
    )
