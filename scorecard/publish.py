def publish(out):
    pass
