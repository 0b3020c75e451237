"""Failing a browser test on what a user would not see but should not happen."""

from playwright.sync_api import ConsoleMessage, Page, Response


def watch(page: Page, problems: list[str]) -> Page:
    """Record on ``problems`` the page's script errors, console errors and failed assets.

    A script error, a Content-Security-Policy refusal or a missing asset
    fails the test that asserts ``problems == []``.
    """

    def on_console(message: ConsoleMessage) -> None:
        # Documents answered with 403/404 on purpose are logged as failed
        # loads; a failed asset is caught by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type not in ("document", "fetch"):
            problems.append(f"{response.status} for {response.url}")

    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)
    return page
