"""The readers: the fine-tuned neural span reader (`neural`, its spans weighed in `readings`) and the rule
reader (`rules`, over `question`, `spans` and `lexicon`), with what both share (`choice`, `coverage`)."""
