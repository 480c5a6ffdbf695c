"""Contacts and a campaign: the contact book and a contact's page; a campaign made in the
wizard from a CSV file, its estimate and wallet check, launched, its progress following it
live to 100 %."""

from harness import expect, main

CSV = b"phone,var1,var2\n+447700900501,Dee,A1\n+447700900502,Eve,A2\n+447700900503,Fay,A3\n"


def run(ctx):
    page = ctx.page()
    ctx.sign_in(page, next_path="/console/contacts")
    page.goto(ctx.url + "/console/contacts")
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "contacts-list")
    page.get_by_role("link", name="+447700900301").click()
    expect(page.get_by_role("heading", name="Details", exact=True)).to_be_visible()
    ctx.labelled(page)
    ctx.shot(page, "contact-page")

    page.goto(ctx.url + "/console/campaigns")
    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
    ctx.shot(page, "campaigns-list")
    page.get_by_role("link", name="New campaign").click()
    expect(page.get_by_role("heading", name="New campaign", exact=True)).to_be_visible()
    ctx.labelled(page)
    page.get_by_label("Name", exact=True).fill("Parcel news")
    page.get_by_label("A CSV or XLSX file").check()
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "audience.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_label("One a line").fill("column:var1\ncolumn:var2")
    ctx.shot(page, "campaign-wizard")
    page.get_by_role("button", name="Create and load the audience").click()

    # The audience loads; then the estimate and the wallet check.
    expect(page.get_by_test_id("estimate")).to_contain_text("3 recipients")
    expect(page.get_by_text("The wallet covers it")).to_be_visible()
    ctx.shot(page, "campaign-launch")
    page.get_by_role("button", name="Launch").click()

    # The progress follows the campaign live to the end.
    expect(page.get_by_test_id("percent")).to_have_text("100 %")
    expect(page.get_by_test_id("campaign-status")).to_have_text("completed")
    ctx.shot(page, "campaign-page")


if __name__ == "__main__":
    main(run)
