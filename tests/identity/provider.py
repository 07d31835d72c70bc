"""A small but real OpenID Connect provider for the suite, run in its own process: `python provider.py PORT`.

Authorization code flow with PKCE (S256), state, nonce, prompt (none / login) and max_age; RS256 ID tokens
signed with its own key (joserfc, the JOSE library of authlib, whose PKCE helper checks the verifier); a JWKS,
a userinfo endpoint and a discovery document. Tests drive it through POST /control (JSON):

    {"users": {"ada": {"password": "...", "sub": "...", "email": "...", "email_verified": true,
               "groups": [...], "disabled": false, "github": "..."}}}   replaces one user's record
    {"mode": "normal" | "wrong_key" | "wrong_audience" | "expired"}       how the next ID tokens are made
    {"age_sessions": 3600}                                               backdates every session's auth_time

GET /control answers {"authorize": [the query of each /authorize request so far]}.
"""

import json
import secrets
import sys
import time
from html import escape
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "accountability-test"
CLIENT_SECRET = "provider-test-secret"
KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "use": "sig", "alg": "RS256"}, private=True)
# Same kid, another key: a token signed with it claims to be ours and must fail the signature check.
ROGUE_KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-1", "use": "sig", "alg": "RS256"}, private=True)

STATE = {"users": {}, "mode": "normal", "sessions": {}, "codes": {}, "tokens": {}, "authorize": []}


def _claims(user: dict, **extra) -> dict:
    claims = {
        "sub": user["sub"],
        "email": user.get("email", ""),
        "email_verified": user.get("email_verified", True),
    }
    claims["groups"] = list(user.get("groups", []))
    claims["preferred_username"] = user["username"]
    if user.get("github"):
        claims["github_login"] = user["github"]
    return claims | extra


class Provider(BaseHTTPRequestHandler):
    issuer = ""

    def log_message(self, *args):  # quiet: the suite's output is the tests'
        pass

    def _send(self, status: int, body, content_type="application/json", headers=()):
        data = (
            body
            if isinstance(body, bytes)
            else (json.dumps(body) if content_type == "application/json" else body).encode()
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, url: str, headers=()):
        self._send(302, b"", "text/plain", [("Location", url), *headers])

    def _form(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or "{}")
        return {key: values[0] for key, values in parse_qs(raw).items()}

    def do_GET(self):
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            base = self.issuer
            return self._send(
                200,
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/authorize",
                    "token_endpoint": f"{base}/token",
                    "userinfo_endpoint": f"{base}/userinfo",
                    "jwks_uri": f"{base}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        if url.path == "/jwks":
            return self._send(200, {"keys": [KEY.as_dict(private=False)]})
        if url.path == "/control":
            return self._send(200, {"authorize": STATE["authorize"]})
        if url.path == "/authorize":
            return self._authorize(query)
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            username = STATE["tokens"].get(token)
            if username is None:
                return self._send(401, {"error": "invalid_token"})
            return self._send(200, _claims(STATE["users"][username]))
        return self._send(404, {"error": "not found"})

    def _authorize(self, query: dict):
        STATE["authorize"].append(query)
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return self._send(400, {"error": "invalid_request"})
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        session = STATE["sessions"].get(cookie["idp_sid"].value) if "idp_sid" in cookie else None
        max_age = int(query["max_age"]) if query.get("max_age", "").isdigit() else None
        fresh = session is not None and (max_age is None or time.time() - session["auth_time"] <= max_age)
        if query.get("prompt") == "none":
            if session is None:
                return self._back(query, error="login_required")
            if STATE["users"][session["username"]].get("disabled"):
                return self._back(query, error="access_denied")
            return self._back(query, session=session)
        if fresh and query.get("prompt") != "login":
            return self._back(query, session=session)
        hidden = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in query.items()
        )
        page = (
            "<!doctype html><title>Test provider</title><h1>Test provider sign-in</h1>"
            f'<form method="post" action="/login">{hidden}'
            '<label>Provider username <input name="username"></label>'
            '<label>Provider password <input name="password" type="password"></label>'
            "<button>Sign in at the provider</button></form>"
        )
        return self._send(200, page, "text/html")

    def _back(self, query: dict, *, session=None, error="", headers=()):
        params = {"state": query.get("state", "")}
        if error:
            params["error"] = error
        else:
            code = secrets.token_urlsafe(16)
            STATE["codes"][code] = {
                "query": query,
                "username": session["username"],
                "auth_time": session["auth_time"],
            }
            params["code"] = code
        return self._redirect(f"{query['redirect_uri']}?{urlencode(params)}", headers)

    def do_POST(self):
        path = urlsplit(self.path).path
        form = self._form()
        if path == "/control":
            for username, record in form.get("users", {}).items():
                STATE["users"][username] = {"username": username, **record}
            if "mode" in form:
                STATE["mode"] = form["mode"]
            for session in STATE["sessions"].values():
                session["auth_time"] -= form.get("age_sessions", 0)
            return self._send(200, {"ok": True})
        if path == "/login":
            user = STATE["users"].get(form.get("username", ""))
            if user is None or user.get("disabled") or user.get("password") != form.get("password"):
                return self._send(401, "<!doctype html><p>Wrong provider password.</p>", "text/html")
            sid = secrets.token_urlsafe(16)
            STATE["sessions"][sid] = {"username": user["username"], "auth_time": int(time.time())}
            query = {k: v for k, v in form.items() if k not in ("username", "password")}
            return self._back(
                query, session=STATE["sessions"][sid], headers=[("Set-Cookie", f"idp_sid={sid}; Path=/")]
            )
        if path == "/token":
            return self._token(form)
        return self._send(404, {"error": "not found"})

    def _token(self, form: dict):
        grant = STATE["codes"].pop(form.get("code", ""), None)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._send(401, {"error": "invalid_client"})
        if grant is None or grant["query"]["redirect_uri"] != form.get("redirect_uri"):
            return self._send(400, {"error": "invalid_grant"})
        if create_s256_code_challenge(form.get("code_verifier", "")) != grant["query"]["code_challenge"]:
            return self._send(400, {"error": "invalid_grant", "error_description": "PKCE verifier"})
        user, mode, now = STATE["users"][grant["username"]], STATE["mode"], int(time.time())
        claims = _claims(
            user,
            iss=self.issuer,
            aud="someone-else" if mode == "wrong_audience" else CLIENT_ID,
            iat=now - (7200 if mode == "expired" else 0),
            exp=now + (-3600 if mode == "expired" else 300),
            nonce=grant["query"].get("nonce"),
            auth_time=grant["auth_time"],
            amr=["pwd"],
            acr="urn:test:loa:1",
        )
        key = ROGUE_KEY if mode == "wrong_key" else KEY
        access = secrets.token_urlsafe(24)
        STATE["tokens"][access] = user["username"]
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, key)
        return self._send(
            200, {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )


def main(port: int) -> None:
    Provider.issuer = f"http://127.0.0.1:{port}"
    ThreadingHTTPServer(("127.0.0.1", port), Provider).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
