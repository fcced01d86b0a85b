"""The readers: a fine-tuned neural span reader (`neural`), with the rule reader beside it in `retrieval.answer`."""
