:
unexpected response 500