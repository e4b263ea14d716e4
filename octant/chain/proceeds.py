"""Mainnet staking proceeds from Etherscan and Bitquery (docs/lifecycle.md §5.2): MEV and plain transfers to the
WithdrawalsTarget, beacon-chain withdrawals less the 32 ETH principal, and block rewards, over the epoch's
block range. Transient failures (timeouts, 429, 5xx) are retried with backoff, then raise."""
import logging
import time
from decimal import Decimal

import requests
from django.conf import settings

from octant.core.exceptions import ChainUnavailable

logger = logging.getLogger(__name__)

GWEI = 10**9
PRINCIPAL_GWEI = 32 * GWEI
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


def mev(address: str, start_block: int, end_block: int) -> int:
    target, seen, total = address.lower(), set(), 0
    for action in ("txlist", "txlistinternal"):
        for tx in transactions(action, address, start_block, end_block):
            if (tx.get("to", "").lower() != target or tx.get("isError", "0") != "0" or tx.get("functionName", "")
                    or tx["hash"] in seen):
                continue
            seen.add(tx["hash"])
            total += int(tx["value"])
    return total


def withdrawals(address: str, start_block: int, end_block: int) -> int:
    seen, gwei = set(), 0
    for w in transactions("txsBeaconWithdrawal", address, start_block, end_block):
        if w["withdrawalIndex"] in seen:
            continue
        seen.add(w["withdrawalIndex"])
        amount = int(w["amount"])
        gwei += amount - PRINCIPAL_GWEI if amount >= PRINCIPAL_GWEI else amount
    return gwei * GWEI


def block_rewards(address: str, start_block: int, end_block: int) -> int:
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
    value = rewards[0]["sum"] if rewards else 0
    return int(Decimal(str(value or 0)) * 10**18)


def mainnet_proceeds(address: str, *, start: int, end: int) -> int:
    """Proceeds of the WithdrawalsTarget `address` between the Unix times `start` and `end`."""
    start_block, end_block = block_by_time(start), block_by_time(end) - 1
    return (mev(address, start_block, end_block) + withdrawals(address, start_block, end_block)
            + block_rewards(address, start_block, end_block))
