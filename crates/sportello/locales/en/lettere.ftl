# Back office: print batches of letters
letters-heading = Letters to print
letters-intro = Letters to be posted are gathered in an open batch. Close the batch to print it: you download one PDF with all its letters, to print single-sided.
letters-secrets = Some letters hold personal codes (such as half a PIN). Print them in a private room, leave no sheets lying around and shred spoiled copies. Every download is recorded.
letters-close = Close the open batch and prepare it for printing
letters-none-open = No letters are waiting: there is no open batch.
letters-empty = There are no print batches yet.
letters-table-caption = Print batches, newest first
letters-col-created = Created
letters-col-count = Letters
letters-col-state = State
letters-col-downloaded = Last download
letters-col-file = File
letters-state-open = Open
letters-state-closed = Closed on
letters-never = Never downloaded
letters-download = Download the PDF
