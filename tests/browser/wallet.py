"""A browser wallet for the web client's tests: an EIP-1193 provider, announced with EIP-6963, injected into every
page before its scripts run (Chrome DevTools `Page.addScriptToEvaluateOnNewDocument`). Reads go to the node
(the service's /rpc); what needs the key (personal_sign, eth_signTypedData_v4, and eth_sendTransaction, which
the page fills from the node, has signed and sends with eth_sendRawTransaction) is POSTed to `Signer`, a small
HTTP server on 127.0.0.1 that signs with eth-account. It refuses to sign for any other address."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

PROVIDER = r"""(() => {
  const config = %(config)s;
  const listeners = {};
  const emit = (event, value) => (listeners[event] || []).forEach(listener => listener(value));
  const hex = value => '0x' + BigInt(value).toString(16);
  const post = (url, body) => fetch(url, {
    body: JSON.stringify(body), headers: {'Content-Type': 'application/json'}, method: 'POST',
  }).then(response => response.json());
  let id = 0;
  const rpc = async (method, params = []) => {
    const answer = await post(config.rpc, {id: ++id, jsonrpc: '2.0', method, params});
    if (answer.error) {
      throw Object.assign(new Error(answer.error.message), {code: answer.error.code, data: answer.error.data});
    }
    return answer.result;
  };
  const sign = async (what, body) => {
    const answer = await post(config.signer + what, body);
    if (answer.error) throw Object.assign(new Error(answer.error), {code: 4001});
    return answer.result;
  };
  const connected = () => localStorage.getItem('testWallet.connected') === '1';
  window.testWallet = {calls: [], transactions: []};
  const provider = {
    isTestWallet: true,
    on(event, listener) { (listeners[event] = listeners[event] || []).push(listener); return provider; },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] || []).filter(other => other !== listener);
      return provider;
    },
    async request({method, params = []}) {
      window.testWallet.calls.push(method);
      switch (method) {
        case 'eth_requestAccounts':
          localStorage.setItem('testWallet.connected', '1');
          emit('connect', {chainId: hex(config.chainId)});
          emit('accountsChanged', [config.address]);
          return [config.address];
        case 'eth_accounts':
          return connected() ? [config.address] : [];
        case 'eth_chainId':
          return hex(config.chainId);
        case 'net_version':
          return String(config.chainId);
        case 'wallet_switchEthereumChain':
          if (Number(params[0].chainId) !== config.chainId) {
            throw Object.assign(new Error('Unrecognized chain'), {code: 4902});
          }
          return null;
        case 'wallet_requestPermissions':
        case 'wallet_getPermissions':
          return [{parentCapability: 'eth_accounts'}];
        case 'wallet_revokePermissions':
          localStorage.removeItem('testWallet.connected');
          return null;
        case 'personal_sign':
          return sign('message', {address: params[1], message: params[0]});
        case 'eth_signTypedData_v4':
          return sign('typed-data', {address: params[0], data: params[1]});
        case 'eth_sendTransaction': {
          const tx = params[0];
          const call = {data: tx.data || '0x', from: tx.from, to: tx.to, value: tx.value || '0x0'};
          const [nonce, gas, tip, block] = await Promise.all([
            rpc('eth_getTransactionCount', [tx.from, 'pending']),
            tx.gas ? tx.gas : rpc('eth_estimateGas', [call]),
            rpc('eth_maxPriorityFeePerGas'),
            rpc('eth_getBlockByNumber', ['latest', false]),
          ]);
          const raw = await sign('transaction', {
            ...call, chainId: config.chainId, gas, maxFeePerGas: hex(2n * BigInt(block.baseFeePerGas || 0) + BigInt(tip)),
            maxPriorityFeePerGas: tip, nonce,
          });
          const hash = await rpc('eth_sendRawTransaction', [raw]);
          window.testWallet.transactions.push(hash);
          return hash;
        }
        default:
          return rpc(method, params);
      }
    },
  };
  window.ethereum = provider;
  const info = Object.freeze({
    icon: 'data:image/svg+xml,%%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/%%3E',
    name: 'Test Wallet', rdns: 'org.example.testwallet', uuid: '6f1c6f3e-6b0e-4c8e-9a59-3d3c5f0b7a11',
  });
  const announce = () => window.dispatchEvent(
    new CustomEvent('eip6963:announceProvider', {detail: Object.freeze({info, provider})}));
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
})();"""


def provider_script(*, rpc: str, signer: str, address: str, chain_id: int) -> str:
    config = {"rpc": rpc, "signer": signer, "address": address, "chainId": chain_id}
    return PROVIDER % {"config": json.dumps(config)}


class Signer:
    """Signs for one key over HTTP on 127.0.0.1 (POST /message, /typed-data, /transaction → {"result"} or
    {"error"}); `signed` lists what it signed, in order."""

    def __init__(self, key):
        self.account = Account.from_key(key)
        self.signed: list[str] = []
        signer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict | None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Methods", "POST")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self):
                self._answer(204, None)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                try:
                    result = signer.sign(self.path.strip("/"), body)
                except Exception as error:  # the page gets the reason as a wallet's rejection
                    self._answer(200, {"error": f"{type(error).__name__}: {error}"})
                else:
                    self._answer(200, {"result": result})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, what: str, body: dict) -> str:
        sender = body.get("address") or body.get("from")
        if sender.lower() != self.account.address.lower():
            raise ValueError(f"this wallet holds {self.account.address}, not {sender}")
        if what == "message":
            message = body["message"]
            signable = encode_defunct(hexstr=message) if message.startswith("0x") else encode_defunct(text=message)
            signed = self.account.sign_message(signable)
        elif what == "typed-data":
            data = body["data"] if isinstance(body["data"], dict) else json.loads(body["data"])
            signed = self.account.sign_message(encode_typed_data(full_message=data))
        elif what == "transaction":
            transaction = {key: body[key] for key in ("to", "data", "value", "gas", "nonce", "chainId",
                                                     "maxFeePerGas", "maxPriorityFeePerGas")}
            transaction = {key: int(value, 16) if key not in ("to", "data") and isinstance(value, str) else value
                           for key, value in transaction.items()}
            self.signed.append(f"transaction to {transaction['to']} {transaction['data'][:10]}")
            return "0x" + self.account.sign_transaction(transaction).raw_transaction.hex()
        else:
            raise ValueError(f"nothing to sign as {what!r}")
        self.signed.append(what)
        return "0x" + signed.signature.hex()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
