"""Shared inputs of the reward-math test vectors (docs/rewards.md §9.0), verbatim. Several are synthetic and not
mutually consistent (e.g. TOTAL_REWARDS vs VANILLA_INDIVIDUAL_REWARDS), on purpose."""
from decimal import Decimal

E18 = 10**18

ETH_PROCEEDS = 402410958904110000000
TOTAL_ED = 100022700000000000099999994
LOCKED_RATIO = Decimal("0.100022700000000000099999994")
USER1_ED = 1500000055377000000000
USER2_ED = 5500000000000000000000
USER3_ED = 2000000000000000000000
USER1_BUDGET = 1526868989237987
USER2_BUDGET = 5598519420519815
USER3_BUDGET = 2035825243825387
TOTAL_REWARDS = 321928767123288031232
VANILLA_INDIVIDUAL_REWARDS = 101814368807786782825
OPERATIONAL_COST = 80482191780822000000

MATCHED_REWARDS = 220114398315501248407  # TOTAL_REWARDS - VANILLA + 0
PPF = 39029466808651717175  # IRE - VANILLA
HALF_PPF = 19514733404325859328  # trunc(float(PPF) / 2)
COMMUNITY_FUND = 20120547945205500000
MATCHED_REWARDS_AFTER_OVERHAUL = 140849434135859019815

ALICE = USER1 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
BOB = USER2 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CAROL = USER3 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ALICE_SABLIER_LOCKING_ADDRESS = "0xC8ef823f4f154415Bc4931071F53c61B4F979152"

PROJECTS = [
    "0xBcd4042DE499D14e55001CcbB24a551F3b954096",
    "0x71bE63f3384f5fb98995898A86B02Fb2426c5788",
    "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a",
    "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec",
    "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097",
    "0xcd3B766CCDd6AE721141F452C550Ca635964ce71",
    "0x2546BcD3c84621e976D8185a91A922aE77ECEc30",
    "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E",
    "0xdD2FD4581271e230360230F9337D5c0430Bf44C0",
    "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199",
]

CHAIN_ID = 11155111


def allocation(donor, project, amount, uq=Decimal("1.0")):
    return {"donor": donor, "project": project, "amount": amount, "uq": uq}


def signed_events(pairs):
    """(timestamp, signed amount) pairs as deposit events: positive = lock, negative = unlock, `before` =
    running sum from 0, ties in the listed order (the convention of docs/rewards.md §9.3)."""
    events, balance = [], 0
    for timestamp, amount in pairs:
        kind = "lock" if amount >= 0 else "unlock"
        events.append({"type": kind, "timestamp": timestamp, "amount": abs(amount), "before": balance})
        balance += amount
    return events
