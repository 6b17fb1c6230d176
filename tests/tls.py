"""A private CA and a hub served over HTTPS with a certificate it signed (made here with
`cryptography`, as a brand would with its own CA)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port, spawn_hub, stop_process


@dataclass(frozen=True)
class Certs:
    ca: Path  # the CA's certificate: what a device trusts
    cert: Path  # the hub's certificate, for localhost and 127.0.0.1
    key: Path

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certs(folder: Path) -> Certs:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Vitrine test brand CA"))
        .issuer_name(_name("Vitrine test brand CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital_signature, key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    out = Certs(folder / "ca.pem", folder / "hub.pem", folder / "hub.key")
    out.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return out


@dataclass
class TLSHub:
    url: str  # https://localhost:PORT
    port: int
    proc: subprocess.Popen

    def stop(self) -> None:
        stop_process(self.proc)


def start_tls_hub(db_path: Path, certs: Certs, timeout: float = 60) -> TLSHub:
    port = free_port()
    proc = spawn_hub(db_path, port, ("--certfile", str(certs.cert), "--keyfile", str(certs.key)))
    hub = TLSHub(f"https://localhost:{port}", port, proc)
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited ({proc.returncode}); see {db_path.with_suffix(f'.{port}.log')}")
        try:
            httpx.get(hub.url + "/healthz", verify=certs.context(), timeout=2)
            return hub
        except httpx.TransportError as e:
            last = e
            time.sleep(0.2)
    hub.stop()
    raise TimeoutError(f"{hub.url} did not answer: {last}")
