"""What a person sees on the pre-join screen, read through roles and accessible names."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.browser.calling import PLAYING, POLL_MS, tile


def preview(page: Page) -> Locator:
    return page.get_by_label("Camera preview")


def picker(page: Page, device: str) -> Locator:
    """The pre-join screen's Camera, Microphone or Speaker chooser."""
    return page.get_by_role("main").get_by_role("combobox", name=device, exact=True)


def options(select: Locator) -> list[str]:
    labels: list[str] = select.evaluate("(s) => [...s.options].map((o) => o.label)")
    return labels


def chosen(select: Locator) -> str:
    label: str = select.evaluate("(s) => s.selectedOptions[0]?.label ?? ''")
    return label


def meter(page: Page) -> Locator:
    return page.get_by_role("meter", name="Microphone level")


def media_problem(page: Page, text: str) -> Locator:
    """The alert that says what stands between the page and the camera and microphone."""
    return page.get_by_role("alert").filter(has_text=text)


def wait_preview_playing(page: Page) -> None:
    """The preview shows moving pictures: a size, playing, and a clock that advances."""
    video = preview(page)
    expect(video).to_be_visible()
    page.wait_for_function(PLAYING, arg=[video.element_handle()], polling=POLL_MS)


def assert_seen_without(page: Page, name: str, *, mic: bool, camera: bool) -> None:
    """On `page`, the tile of `name` says their microphone and camera are off (or on)."""
    other = tile(page, name)
    expect(other).to_be_visible()
    for label, off in (("Microphone off", not mic), ("Camera off", not camera)):
        flag = other.get_by_role("img", name=label)
        if off:
            expect(flag).to_be_visible()
        else:
            expect(flag).to_be_hidden()
