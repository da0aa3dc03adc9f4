"""A resolver answering from a table, for the outbound checks: no test depends on the real DNS."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

# What the suite's notify apps resolve at registration; any other name does not resolve (NXDOMAIN).
TEST_DNS: dict[str, list[list[str]]] = {
    "oa.changsha.gov.cn": [["220.170.40.10"]],
    "www.hunan.gov.cn": [["220.170.40.11", "2400:3200::11"]],
    "loopback.example.cn": [["127.0.0.1"]],
    "intranet-hooks.example.cn": [["10.2.3.4", "fd00::4"]],
    "metadata.example.cn": [["169.254.169.254"]],
    "mixed.example.cn": [["10.2.3.4", "220.170.40.12"]],
}


def result(host: str, address: str) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return ResolveResult(hostname=host, host=address, port=443, family=family, proto=0, flags=0)


class FakeResolver(AbstractResolver):
    """Answers from a table; each lookup pops the next answer, as a rebinding DNS server would. A
    name not in the table fails as an unknown name does (`socket.gaierror`)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = {name: [list(a) for a in queue] for name, queue in answers.items()}
        self.lookups: list[str] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        queue = self.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [result(host, a) for a in addresses]

    async def close(self) -> None:
        self.closed = True
