import tensorflow as tf
w = tf.constant([[1, 2], [3, 4]], dtype=tf.float32)
