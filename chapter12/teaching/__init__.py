"""The code a student reads beside the chapter, each module tagged with its section:

| module | section | what it holds |
|---|---|---|
| `scratch` | 12.3.1–12.3.2 | the RNN and LSTM cells in NumPy, in the book's notation, one line per equation |
| `toy` | 12.3.1 | the tiny tagging tasks ("Use Netlify and Hugo", "April") and their models |
| `gradients` | 12.3.2 | how far back the gradient reaches: measured on Keras layers |
| `embeddings` | 12.3.3 | one-hot vs learned vectors, nearest neighbours, GloVe/word2vec files |
| `show` | all | printing a function's source in a notebook, so the reader sees the code the text defines |
"""
