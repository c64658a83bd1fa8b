"""A scan says which packages no advisory source covers (chalicelib/scanning/coverage.py):
an Amazon Linux, Fedora or CentOS image's rpm packages are inventoried but cannot be matched,
and that must not read as a clean image."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.coverage import not_covered
from chalicelib.scanning.inventory import Inventory
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package


def package(kind: str, name: str) -> Package:
    return Package(kind, name, "1.0-1", purl="", path="var/lib/rpm/Packages")


def test_amazon_linux_rpm_packages_are_not_covered_but_python_ones_are() -> None:
    inventory = Inventory(
        OsRelease("amzn", "2", "Amazon Linux 2"),
        [package("rpm", "bash"), package("rpm", "openssl-libs"), package("pypi", "jinja2")],
    )
    assert not_covered(inventory) == [
        "not covered: no advisory source for the 2 rpm packages of Amazon Linux 2 "
        "(inventoried, not matched)"
    ]


@given(
    os_id=st.sampled_from(["rhel", "rocky", "almalinux", "debian", "alpine"]),
    kinds=st.lists(st.sampled_from(["pypi", "npm", "golang", "maven", "cargo"]), max_size=5),
)
def test_language_packages_and_mapped_distributions_are_covered(
    os_id: str, kinds: list[str]
) -> None:
    kind = {"debian": "deb", "alpine": "apk"}.get(os_id, "rpm")
    packages = [package(kind, "base")] + [package(k, f"p{i}") for i, k in enumerate(kinds)]
    assert not_covered(Inventory(OsRelease(os_id, "9.3"), packages)) == []


@given(os_id=st.sampled_from(["amzn", "fedora", "centos"]), count=st.integers(1, 20))
def test_every_unmapped_rpm_distribution_is_named(os_id: str, count: int) -> None:
    packages = [package("rpm", f"p{i}") for i in range(count)]
    (line,) = not_covered(Inventory(OsRelease(os_id, "7"), packages))
    assert line.startswith("not covered: no advisory source for ")
    distribution = {"amzn": "Amazon Linux 7", "fedora": "Fedora 7", "centos": "CentOS 7"}[os_id]
    assert line.endswith(f"the {count} rpm packages of {distribution} (inventoried, not matched)")


def test_os_packages_of_an_image_without_os_release() -> None:
    (line,) = not_covered(Inventory(None, [package("deb", "libc6")]))
    assert line == (
        "not covered: no advisory source for the 1 deb packages of an image with no os-release "
        "(inventoried, not matched)"
    )
