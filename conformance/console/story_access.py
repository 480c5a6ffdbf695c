"""Access: signing in and out, a wrong key, a forged CSRF token refused, the front page
leading to the console, a channel-scoped key seeing only its channels."""

from harness import expect, main


def run(ctx):
    page = ctx.page()

    # The front page leads a newcomer to the console and the docs.
    page.goto(ctx.url + "/")
    expect(page.get_by_role("link", name="The console")).to_be_visible()
    page.get_by_role("link", name="The console").click()
    # Not signed in: the sign-in form, which comes back to the console after.
    expect(page.get_by_label("API key")).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "sign-in")

    # A wrong key: told so, still signed out.
    page.get_by_label("API key").fill("wag_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")

    # The right key: the overview, with the account's channels.
    ctx.sign_in(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    for name in ctx.fixtures["all_channels"]:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    ctx.shot(page, "overview")

    # A forged CSRF token: refused, and the session is still there after.
    status = page.evaluate(
        """async () => (await fetch('/console/sign-out', {method: 'POST',
             headers: {'X-CSRF-Token': 'forged', 'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'csrf=forged'})).status"""
    )
    assert status == 403, f"a forged CSRF token answered {status}"
    page.reload()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    # Signing out ends the session: the console asks to sign in again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    page.goto(ctx.url + "/console")
    expect(page.get_by_label("API key")).to_be_visible()

    # A key limited to one channel sees that channel only, and no settings.
    scoped = ctx.page()
    ctx.sign_in(scoped, key=ctx.fixtures["scoped_key"])
    expect(scoped.get_by_role("link", name=ctx.fixtures["scoped_channel"])).to_be_visible()
    for name in ctx.fixtures["all_channels"]:
        if name != ctx.fixtures["scoped_channel"]:
            expect(scoped.get_by_role("link", name=name)).to_have_count(0)
    expect(scoped.get_by_role("link", name="Settings")).to_have_count(0)


if __name__ == "__main__":
    main(run)
