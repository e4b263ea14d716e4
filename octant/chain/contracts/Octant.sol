// SPDX-License-Identifier: GPL-3.0
// Small contracts with the functions and events of Octant's (and a Safe's off-chain message interface) that
// the backend calls or indexes, for tests against an in-process EVM. Compile with
// `bash scripts/compile_contracts.sh` (solc-js from npm); the ABI and bytecode are committed in `compiled.json`,
// so tests need no compiler.
pragma solidity 0.8.24;

contract Auth {
    address public multisig;
    address public pendingOwner;

    event MultisigSet(address oldValue, address newValue);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    constructor(address _multisig) {
        multisig = _multisig;
        emit MultisigSet(address(0), _multisig);
    }

    function transferOwnership(address newOwner) external {
        require(msg.sender == multisig, "HN/unauthorized-caller");
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(multisig, newOwner);
    }

    function acceptOwnership() external {
        require(msg.sender == pendingOwner, "HN/unauthorized-caller");
        emit MultisigSet(multisig, pendingOwner);
        multisig = pendingOwner;
        pendingOwner = address(0);
    }
}

abstract contract OctantBase {
    Auth public immutable auth;

    constructor(address _auth) {
        auth = Auth(_auth);
    }

    modifier onlyMultisig() {
        require(msg.sender == auth.multisig(), "HN/unauthorized-caller");
        _;
    }
}

contract Epochs is OctantBase {
    struct EpochProps {
        uint32 from;
        uint32 to;
        uint64 fromTs;
        uint64 duration;
        uint64 decisionWindow;
    }

    uint256 public start;
    uint256 public epochPropsIndex;
    mapping(uint256 => EpochProps) public epochProps;

    constructor(uint256 _start, uint256 _duration, uint256 _decisionWindow, address _auth) OctantBase(_auth) {
        require(_duration >= _decisionWindow, "HN:Epochs/decision-window-bigger-than-duration");
        start = _start;
        epochProps[0] = EpochProps(1, 0, uint64(_start), uint64(_duration), uint64(_decisionWindow));
    }

    function isStarted() public view returns (bool) {
        return block.timestamp >= start;
    }

    function _currentProps() internal view returns (EpochProps memory) {
        if (epochProps[epochPropsIndex].fromTs > block.timestamp) {
            return epochProps[epochPropsIndex - 1];
        }
        return epochProps[epochPropsIndex];
    }

    function getCurrentEpoch() public view returns (uint256) {
        require(isStarted(), "HN:Epochs/not-started-yet");
        EpochProps memory p = _currentProps();
        if (p.to != 0) {
            return p.to;
        }
        return (block.timestamp - p.fromTs) / p.duration + p.from;
    }

    function getEpochDuration() external view returns (uint256) {
        return _currentProps().duration;
    }

    function getDecisionWindow() external view returns (uint256) {
        return _currentProps().decisionWindow;
    }

    function getCurrentEpochEnd() external view returns (uint256) {
        EpochProps memory p = _currentProps();
        return p.fromTs + p.duration * (1 + getCurrentEpoch() - p.from);
    }

    function getCurrentEpochProps() external view returns (EpochProps memory) {
        return _currentProps();
    }

    function isDecisionWindowOpen() public view returns (bool) {
        require(isStarted(), "HN:Epochs/not-started-yet");
        if (getCurrentEpoch() == 1) {
            return false;
        }
        EpochProps memory p = _currentProps();
        return (block.timestamp - p.fromTs) % p.duration <= p.decisionWindow;
    }

    function getPendingEpoch() external view returns (uint256) {
        require(isDecisionWindowOpen(), "HN:Epochs/not-pending-epoch");
        return getCurrentEpoch() - 1;
    }

    function getFinalizedEpoch() external view returns (uint256) {
        uint256 current = getCurrentEpoch();
        bool open = isDecisionWindowOpen();
        require(current > 1 && !(current == 2 && open), "HN:Epochs/not-finalized");
        return open ? current - 2 : current - 1;
    }

    function setEpochProps(uint256 _duration, uint256 _decisionWindow) external onlyMultisig {
        require(_duration >= _decisionWindow, "HN:Epochs/decision-window-bigger-than-duration");
        EpochProps storage last = epochProps[epochPropsIndex];
        if (last.fromTs > block.timestamp) {
            last.duration = uint64(_duration);
            last.decisionWindow = uint64(_decisionWindow);
            return;
        }
        uint256 current = getCurrentEpoch();
        uint256 end = last.fromTs + last.duration * (1 + current - last.from);
        last.to = uint32(current);
        epochPropsIndex += 1;
        epochProps[epochPropsIndex] = EpochProps(uint32(current + 1), 0, uint64(end), uint64(_duration),
            uint64(_decisionWindow));
    }
}

contract Token {
    string public constant name = "Golem Network Token";
    string public constant symbol = "GLM";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "ERC20: insufficient allowance");
        allowance[from][msg.sender] -= value;
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) internal {
        require(balanceOf[from] >= value, "ERC20: transfer amount exceeds balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

contract Deposits {
    Token public immutable glm;
    mapping(address => uint256) public deposits;

    event Locked(uint256 depositBefore, uint256 amount, uint256 when, address user);
    event Unlocked(uint256 depositBefore, uint256 amount, uint256 when, address user);

    constructor(address _glm) {
        glm = Token(_glm);
    }

    function lock(uint256 amount) external {
        require(amount != 0, "HN:Common/invalid-argument");
        uint256 before = deposits[msg.sender];
        deposits[msg.sender] = before + amount;
        require(glm.transferFrom(msg.sender, address(this), amount), "HN:Deposits/cannot-transfer-from-sender");
        emit Locked(before, amount, block.timestamp, msg.sender);
    }

    function unlock(uint256 amount) external {
        uint256 before = deposits[msg.sender];
        require(before >= amount, "HN:Deposits/deposit-is-smaller");
        deposits[msg.sender] = before - amount;
        require(glm.transfer(msg.sender, amount), "HN:Deposits/cannot-transfer-to-sender");
        emit Unlocked(before, amount, block.timestamp, msg.sender);
    }
}

contract Proposals is OctantBase {
    string public cid;
    address public epochs;
    mapping(uint256 => address[]) private proposalAddresses;

    event EpochsSet(address epochs);

    constructor(string memory _cid, address[] memory _proposals, address _auth) OctantBase(_auth) {
        cid = _cid;
        proposalAddresses[0] = _proposals;
    }

    function setEpochs(address _epochs) external onlyMultisig {
        require(epochs == address(0), "HN:Proposals/epochs-already-set");
        epochs = _epochs;
        emit EpochsSet(_epochs);
    }

    function setCID(string memory _cid) external onlyMultisig {
        cid = _cid;
    }

    function setProposalAddresses(uint256 epoch, address[] calldata _proposals) external onlyMultisig {
        if (epochs != address(0)) {
            require(epoch >= Epochs(epochs).getCurrentEpoch(), "HN:Proposals/only-future-proposals-changing-is-allowed");
        }
        for (uint256 i = 0; i < _proposals.length; i++) {
            require(_proposals[i] != address(0), "HN:Proposals/invalid-proposal");
        }
        proposalAddresses[epoch] = _proposals;
    }

    function getProposalAddresses(uint256 epoch) external view returns (address[] memory) {
        for (uint256 e = epoch; e > 0; e--) {
            if (proposalAddresses[e].length > 0) {
                return proposalAddresses[e];
            }
        }
        return proposalAddresses[0];
    }
}

contract Vault is OctantBase {
    struct WithdrawPayload {
        uint256 epoch;
        uint256 amount;
        bytes32[] proof;
    }

    mapping(uint256 => bytes32) public merkleRoots;
    mapping(address => uint256) public lastClaimedEpoch;

    event MerkleRootSet(uint256 epoch, bytes32 root);
    event Withdrawn(address user, uint256 amount, uint256 epoch);
    event EmergencyWithdrawn(address user, uint256 amount);

    constructor(address _auth) OctantBase(_auth) {}

    receive() external payable {}

    function setMerkleRoot(uint256 epoch, bytes32 root) external onlyMultisig {
        require(root != bytes32(0), "HN:Vault/invalid-merkle-root");
        require(merkleRoots[epoch] == bytes32(0), "HN:Vault/merkle-root-already-set");
        merkleRoots[epoch] = root;
        emit MerkleRootSet(epoch, root);
    }

    function batchWithdraw(WithdrawPayload[] calldata payloads) external {
        require(payloads.length > 0, "HN:Vault/empty-payloads");
        uint256 claimed = lastClaimedEpoch[msg.sender];
        uint256 total = 0;
        for (uint256 i = 0; i < payloads.length; i++) {
            require(payloads[i].epoch > claimed, "HN:Vault/already-claimed");
            bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender, payloads[i].amount))));
            require(verify(payloads[i].proof, merkleRoots[payloads[i].epoch], leaf), "HN:Vault/invalid-merkle-proof");
            claimed = payloads[i].epoch;
            total += payloads[i].amount;
        }
        lastClaimedEpoch[msg.sender] = claimed;
        emit Withdrawn(msg.sender, total, claimed);
        (bool ok, ) = payable(msg.sender).call{value: total}("");
        require(ok, "HN:Common/failed-to-send");
    }

    function emergencyWithdraw(uint256 amount) external onlyMultisig {
        emit EmergencyWithdrawn(msg.sender, amount);
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        require(ok, "HN:Common/failed-to-send");
    }

    function verify(bytes32[] memory proof, bytes32 root, bytes32 leaf) public pure returns (bool) {
        bytes32 hash = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 p = proof[i];
            hash = hash < p ? keccak256(abi.encode(hash, p)) : keccak256(abi.encode(p, hash));
        }
        return root != bytes32(0) && hash == root;
    }
}

contract WithdrawalsTarget {
    address public multisig;

    event Withdrawn(address to, uint256 amount);

    constructor(address _multisig) {
        multisig = _multisig;
    }

    receive() external payable {}

    function version() external pure returns (uint256) {
        return 1;
    }

    function withdraw(uint256 amount) external {
        require(msg.sender == multisig, "HN:WithdrawalsTarget/unauthorized-caller");
        emit Withdrawn(msg.sender, amount);
        (bool ok, ) = payable(msg.sender).call{value: amount}("");
        require(ok, "HN:Common/failed-to-send");
    }
}

/// Octant v2's RegenStaker as far as the v1 web client reads it (its migration status asks the minimum stake):
/// the local chain runs no v2 staking, so nothing can be staked here.
contract RegenStaker {
    uint256 public constant minimumStakeAmount = 100 ether;  // 100 GLM, v1's minimum for rewards
}

/// A contract wallet (a stand-in for a Gnosis Safe): executes calls for its owner and answers the legacy
/// EIP-1271 `isValidSignature(bytes,bytes)` with 0x20c13b0b when its owner signed the 32-byte hash.
contract Wallet {
    address public owner;

    constructor(address _owner) {
        owner = _owner;
    }

    receive() external payable {}

    function execute(address to, uint256 value, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "Wallet: not the owner");
        (bool ok, bytes memory result) = to.call{value: value}(data);
        require(ok, "Wallet: call failed");
        return result;
    }

    function isValidSignature(bytes calldata data, bytes calldata signature) external view returns (bytes4) {
        require(data.length == 32 && signature.length == 65, "Wallet: bad input");
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) {
            v += 27;
        }
        address signer = ecrecover(bytes32(data), v, r, s);
        return signer != address(0) && signer == owner ? bytes4(0x20c13b0b) : bytes4(0xffffffff);
    }
}

/// A multisig wallet with a Gnosis Safe's off-chain message interface, for tests: `getMessageHash(bytes)` is
/// EIP-712 over SafeMessage(bytes message) under the domain {chainId, verifyingContract: this wallet}, and the
/// legacy EIP-1271 `isValidSignature(bytes,bytes)` answers 0x20c13b0b when `threshold` owners, in ascending
/// address order, signed the message hash of `data` (v 27/28: the hash itself; v 31/32: its eth_sign form), and
/// reverts otherwise. Any owner runs calls through `execute` (a Safe would ask for `threshold` signatures).
contract Safe {
    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(uint256 chainId,address verifyingContract)");
    bytes32 private constant SAFE_MSG_TYPEHASH = keccak256("SafeMessage(bytes message)");

    address[] private owners;
    mapping(address => bool) public isOwner;
    uint256 public threshold;

    constructor(address[] memory _owners, uint256 _threshold) {
        require(_threshold >= 1 && _threshold <= _owners.length, "Safe: invalid threshold");
        for (uint256 i = 0; i < _owners.length; i++) {
            require(_owners[i] != address(0) && !isOwner[_owners[i]], "Safe: invalid owner");
            isOwner[_owners[i]] = true;
        }
        owners = _owners;
        threshold = _threshold;
    }

    receive() external payable {}

    function getOwners() external view returns (address[] memory) {
        return owners;
    }

    function getThreshold() external view returns (uint256) {
        return threshold;
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, block.chainid, address(this)));
    }

    function getMessageHash(bytes memory message) public view returns (bytes32) {
        bytes32 safeMessage = keccak256(abi.encode(SAFE_MSG_TYPEHASH, keccak256(message)));
        return keccak256(abi.encodePacked(bytes1(0x19), bytes1(0x01), domainSeparator(), safeMessage));
    }

    function isValidSignature(bytes calldata data, bytes calldata signatures) external view returns (bytes4) {
        bytes32 hash = getMessageHash(data);
        require(signatures.length >= 65 * threshold, "Safe: too few signatures");
        address last = address(0);
        for (uint256 i = 0; i < threshold; i++) {
            bytes calldata part = signatures[65 * i:65 * (i + 1)];
            uint8 v = uint8(part[64]);
            address signer;
            if (v == 27 || v == 28) {
                signer = ecrecover(hash, v, bytes32(part[0:32]), bytes32(part[32:64]));
            } else if (v == 31 || v == 32) {
                bytes32 signed = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", hash));
                signer = ecrecover(signed, v - 4, bytes32(part[0:32]), bytes32(part[32:64]));
            } else {
                revert("Safe: unsupported signature type");
            }
            require(signer > last && isOwner[signer], "Safe: invalid owner signature");
            last = signer;
        }
        return bytes4(0x20c13b0b);
    }

    function execute(address to, uint256 value, bytes calldata data) external returns (bytes memory) {
        require(isOwner[msg.sender], "Safe: not an owner");
        (bool ok, bytes memory result) = to.call{value: value}(data);
        require(ok, "Safe: call failed");
        return result;
    }
}
