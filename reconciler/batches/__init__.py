"""Pure helpers of the `Batch` kind: building request lines, digests, joining results.

`kinds/batch.py` (planning) and `providers/batches.py` (apply) use them; nothing here calls
the API or imports `openai`. `requests.py` streams request lines (a batch-format file as it is,
or items rendered through a template, stable prefix first); `results.py` joins output and error
lines back to the requests by `custom_id` and records what was written.
"""
